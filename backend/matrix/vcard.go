package matrix

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
)

// maxPhoto bounds an avatar fetched for a vCard; a larger one is left out.
const maxPhoto = 1 << 20

// VCard answers a vCard request with the Matrix profile: the display name as full name and
// nickname, the avatar (an mxc URL fetched through the media API) as the photo. The user's
// own card is the account's profile; a room occupant's card ("room/nick") is empty.
func (p *Plugin) VCard(_ context.Context, s *backend.Sink, r backend.VCardRequest) {
	sess, ok := p.sessions.Load(r.User)
	empty := func() { s.VCard(backend.VCard{User: r.User, Buddy: r.Buddy, ID: r.ID}) }
	if !ok {
		empty()
		return
	}
	sess.do(func() { sess.vcard(r) }, empty)
}

func (s *session) vcard(r backend.VCardRequest) {
	card := backend.VCard{User: s.user, Buddy: r.Buddy, ID: r.ID}
	u := s.cli.UserID
	if r.Buddy != "" && r.Buddy != buddyName(u) {
		var ok bool
		if u, ok = userOf(r.Buddy); !ok {
			s.sink.VCard(card) // a room occupant, or not a Matrix user
			return
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
	defer cancel()
	prof, err := s.cli.GetProfile(ctx, u)
	if err != nil {
		s.log.Debug().Err(err).Str("of", string(u)).Msg("profile not read")
		s.sink.VCard(card)
		return
	}
	card.FullName, card.Nickname = prof.DisplayName, prof.DisplayName
	avatar := prof.AvatarURL
	s.r.mu.Lock()
	// The profile may be newer than the member event the contact's photo hash came from:
	// the next roster update sends the hash of this photo.
	s.r.setAvatar(u, avatar.CUString())
	s.r.mu.Unlock()
	if !avatar.IsEmpty() {
		photo, err := s.fetchMedia(ctx, avatar)
		if err != nil {
			s.log.Debug().Err(err).Str("of", string(u)).Msg("avatar not fetched")
		} else {
			card.Photo = photo
		}
	}
	s.sink.VCard(card)
}

// fetchMedia downloads an mxc URI through the authenticated media API (Matrix 1.11), or
// the older unauthenticated one for homeservers without it, bounded by maxPhoto.
func (s *session) fetchMedia(ctx context.Context, uri id.ContentURI) ([]byte, error) {
	resp, err := s.cli.Download(ctx, uri)
	if err != nil {
		req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, s.mediaURL(uri.CUString()), nil)
		if rerr != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
		if resp, err = s.cli.Client.Do(req); err != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("media: HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPhoto+1))
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	if len(data) > maxPhoto {
		return nil, fmt.Errorf("media: larger than %d bytes", maxPhoto)
	}
	return data, nil
}

var _ backend.VCardProvider = (*Plugin)(nil)
