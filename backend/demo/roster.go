package demo

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// The demo's fixed contacts.
const (
	Echo  = "echo"
	Clock = "clock"
	group = "Demo"
)

// cycleStatus is the i-th status of a cycle through every presence kind; with offline
// (STATUS_NONE) for the generated contacts, without it for the clock.
func cycleStatus(i int, withOffline bool) pb.StatusType {
	kinds := []pb.StatusType{pb.StatusType_STATUS_ONLINE, pb.StatusType_STATUS_AWAY,
		pb.StatusType_STATUS_DND, pb.StatusType_STATUS_XA, pb.StatusType_STATUS_FFC}
	if withOffline {
		kinds = append(kinds, pb.StatusType_STATUS_NONE)
	}
	return kinds[i%len(kinds)]
}

// ContactName is the legacy name of generated contact i (1-based): contact0001, ...
func ContactName(i int) string { return fmt.Sprintf("contact%04d", i) }

// contactIndex is the inverse of ContactName; 0 when name is not one of the n contacts.
func contactIndex(name string, n int) int {
	rest, ok := strings.CutPrefix(name, "contact")
	if !ok || len(rest) < 4 {
		return 0
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 1 || i > n || ContactName(i) != name {
		return 0
	}
	return i
}

// sendRoster sends echo, clock, the generated contacts and the room list. Each frame is
// small and the writer coalesces, so 10,000 contacts take a fraction of a second.
func (p *Plugin) sendRoster(ctx context.Context, s *backend.Sink, u *user) error {
	empty := ""
	if err := s.Buddy(backend.Buddy{User: u.jid, Name: Echo, Alias: "Echo", Groups: []string{group},
		StatusMessage: "I repeat everything", IconHash: &p.photoHash}); err != nil {
		return err
	}
	if err := s.Buddy(p.clockBuddy(u.jid, time.Now(), 0)); err != nil {
		return err
	}
	for i := 1; i <= p.contacts; i++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		st := cycleStatus(i, true)
		b := backend.Buddy{User: u.jid, Name: ContactName(i), Alias: fmt.Sprintf("Contact %d", i),
			Groups: []string{fmt.Sprintf("Group %d", 1+i%10)}, Status: st, IconHash: &empty}
		if st != pb.StatusType_STATUS_NONE && st != pb.StatusType_STATUS_ONLINE {
			b.StatusMessage = "status of contact " + strconv.Itoa(i)
		}
		if err := s.Buddy(b); err != nil {
			return err
		}
	}
	// The room list goes to this user (spec 3.13: per-user list) once it is connected.
	return s.RoomList(u.jid, []backend.RoomListEntry{{Room: Lobby, Name: "Lobby"}})
}

func (p *Plugin) clockBuddy(jid string, now time.Time, tick int) backend.Buddy {
	empty := ""
	return backend.Buddy{User: jid, Name: Clock, Alias: "Clock", Groups: []string{group},
		Status:        cycleStatus(tick, false),
		StatusMessage: "It is " + now.UTC().Format("15:04:05") + " UTC", IconHash: &empty}
}

// VCard answers for every contact, the user itself and room participants; anything else
// gets an empty vCard.
func (p *Plugin) VCard(_ context.Context, s *backend.Sink, r backend.VCardRequest) {
	v := backend.VCard{User: r.User, Buddy: r.Buddy, ID: r.ID}
	u := p.lookup(r.User)
	switch {
	case r.Buddy == Echo:
		v.FullName, v.Nickname, v.Photo = "Echo Bot", Echo, p.photo
	case r.Buddy == Clock:
		v.FullName, v.Nickname = "Speaking Clock", Clock
	case contactIndex(r.Buddy, p.contacts) > 0:
		v.FullName, v.Nickname = fmt.Sprintf("Contact %d", contactIndex(r.Buddy, p.contacts)), r.Buddy
	case strings.HasPrefix(r.Buddy, "#") && strings.Contains(r.Buddy, "/"):
		_, nick, _ := strings.Cut(r.Buddy, "/")
		v.FullName, v.Nickname = nick, nick
	case u != nil && (r.Buddy == "" || r.Buddy == u.legacy):
		v.FullName, v.Nickname = u.legacy, u.legacy
		p.mu.Lock() // UpdateVCard writes them (profile.go)
		if u.nick != "" {
			v.Nickname = u.nick
		}
		if len(u.photo) > 0 {
			v.Photo = u.photo // never changed in place: UpdateVCard stores a new slice
		}
		p.mu.Unlock()
	}
	s.VCard(v)
}

// BuddyChanged accepts a contact the user added: it shows up offline, with the alias and
// groups asked for. Block toggles are not supported by the demo network.
func (p *Plugin) BuddyChanged(_ context.Context, s *backend.Sink, b backend.Buddy) {
	if b.Blocked != nil {
		return
	}
	b.Status, b.StatusMessage, b.IconHash = pb.StatusType_STATUS_NONE, "", nil
	s.Buddy(b)
}

// BuddyRemoved confirms the removal, as a legacy server would.
func (p *Plugin) BuddyRemoved(_ context.Context, s *backend.Sink, b backend.Buddy) {
	s.BuddyRemoved(b.User, b.Name)
}

// makePhoto draws echo's avatar: a small PNG, and its SHA-1 as the icon hash.
func makePhoto() ([]byte, string) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, color.RGBA{R: uint8(x * 16), G: uint8(y * 16), B: 0xc0, A: 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	sum := sha1.Sum(b.Bytes())
	return b.Bytes(), hex.EncodeToString(sum[:])
}
