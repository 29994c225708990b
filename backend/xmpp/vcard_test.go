package xmpp

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"testing"

	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// png1x1 is a 1x1 PNG, as in spec 5.3's avatar scenario.
var png1x1, _ = base64.StdEncoding.DecodeString(
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func sha1hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

func TestVCardsAndAvatars(t *testing.T) {
	_, d, b := friends(t)
	// bob's card, fetched for the user.
	vc := stanza.New(stanza.NSVCard, "vCard").Append(text(stanza.NSVCard, "FN", "Bob Builder"),
		stanza.New(stanza.NSVCard, "PHOTO").Append(text(stanza.NSVCard, "TYPE", "image/png"),
			text(stanza.NSVCard, "BINVAL", base64.StdEncoding.EncodeToString(png1x1))))
	if r := b.iq(el("iq", "type", "set").Append(vc)); r.Type() != "result" {
		t.Fatalf("vCard set: %s", r)
	}
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: ptr(user), BuddyName: ptr(bob), Id: ptr(int32(7))})
	got := waitFor[*pb.VCard](t, d, pb.WrapperMessage_TYPE_VCARD, nil)
	if got.GetId() != 7 || got.GetFullname() != "Bob Builder" || !bytes.Equal(got.GetPhoto(), png1x1) {
		t.Errorf("bob's vCard %v", got)
	}
	// bob's avatar hash in his presence.
	b.send(el("presence").Append(stanza.New(stanza.NSVCardUpd, "x").Append(text(stanza.NSVCardUpd, "photo", sha1hex(png1x1)))))
	waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m *pb.Buddy) bool {
		return m.GetBuddyName() == bob && m.GetIconHash() == sha1hex(png1x1)
	})
	// The user's new avatar: stored, and its hash in the presence bob sees (spec 5.3 avatar).
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: ptr(user), BuddyName: ptr(""), Id: ptr(int32(0)),
		Photo: png1x1, Nickname: ptr("Al")})
	b.expect("avatar hash", func(e *stanza.Element) bool {
		x := e.Child(stanza.NSVCardUpd, "x")
		return e.Local == "presence" && bareJID(e.From()) == alice && x != nil &&
			x.ChildText(stanza.NSVCardUpd, "photo") == sha1hex(png1x1)
	})
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: ptr(user), BuddyName: ptr(""), Id: ptr(int32(8))})
	own := waitFor[*pb.VCard](t, d, pb.WrapperMessage_TYPE_VCARD, nil)
	if own.GetId() != 8 || own.GetNickname() != "Al" || !bytes.Equal(own.GetPhoto(), png1x1) {
		t.Errorf("own vCard %v", own)
	}
	// A card that cannot be fetched is still answered.
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: ptr(user), BuddyName: ptr("nobody@nowhere.invalid"), Id: ptr(int32(9))})
	if none := waitFor[*pb.VCard](t, d, pb.WrapperMessage_TYPE_VCARD, nil); none.GetId() != 9 || len(none.GetPhoto()) != 0 {
		t.Errorf("unfetchable vCard %v", none)
	}
}
