package demo_test

import (
	"bytes"
	"testing"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestOwnVCardUpdate: the user's own-vCard update (id 0) is kept, and the own vCard then
// answers with its nickname and photo.
func TestOwnVCardUpdate(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	photo := []byte("\x89PNG not really")
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: ptr(user), BuddyName: ptr(""), Id: ptr(int32(0)),
		Photo: photo, Nickname: ptr("Al")})
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: ptr(user), BuddyName: ptr(""), Id: ptr(int32(7))})
	v := d.Expect(pb.WrapperMessage_TYPE_VCARD).(*pb.VCard)
	if v.GetId() != 7 || v.GetNickname() != "Al" || !bytes.Equal(v.GetPhoto(), photo) {
		t.Errorf("own vCard after the update: %v", v)
	}
}
