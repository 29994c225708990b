package matrix

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
)

// Bounds of the files a user shares (a client's OOB URLs, features.attachments): at most
// maxFiles per message, each up to maxFileBytes; a file past them goes as its URL.
const (
	maxFiles     = 4
	maxFileBytes = 8 << 20
)

// sendFiles puts the message's attachments into the homeserver's media repository and
// sends each as m.image, m.video, m.audio or m.file; it returns the attachments that could
// not be fetched or uploaded (they go as URLs in the text). The URL is fetched with the
// user's HTTP client, so allowed_servers limits what the backend dials.
func (s *session) sendFiles(ctx context.Context, room id.RoomID, as []backend.Attachment) []backend.Attachment {
	var left []backend.Attachment
	for i, a := range as {
		if i >= maxFiles {
			left = append(left, as[i:]...)
			break
		}
		c, err := s.uploadFile(ctx, a)
		if err == nil {
			_, err = s.cli.SendMessageEvent(ctx, room, event.EventMessage, c)
		}
		if err != nil {
			s.log.Info().Err(err).Msg("file not shared; its URL goes as text")
			left = append(left, a)
		}
	}
	return left
}

// uploadFile fetches a's URL and uploads the bytes, giving the message content.
func (s *session) uploadFile(ctx context.Context, a backend.Attachment) (*event.MessageEventContent, error) {
	u, err := url.Parse(a.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("not an http(s) URL: %q", a.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.cli.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch: HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxFileBytes)
	}
	mt := a.MimeType
	if mt == "" {
		mt, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	}
	if mt == "" {
		mt = http.DetectContentType(data)
	}
	name := path.Base(u.Path)
	if name == "" || name == "/" || name == "." {
		name = "file"
	}
	if unescaped, err := url.PathUnescape(name); err == nil {
		name = unescaped
	}
	up, err := s.cli.UploadBytesWithName(ctx, data, mt, name)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	typ := event.MsgFile
	switch {
	case strings.HasPrefix(mt, "image/"):
		typ = event.MsgImage
	case strings.HasPrefix(mt, "video/"):
		typ = event.MsgVideo
	case strings.HasPrefix(mt, "audio/"):
		typ = event.MsgAudio
	}
	return &event.MessageEventContent{MsgType: typ, Body: name, URL: up.ContentURI.CUString(),
		Info: &event.FileInfo{MimeType: mt, Size: len(data)}}, nil
}

// withoutFileURLs is the message's text without the attachments' URLs, which the files
// replace (Conversations sends the URL as the body); "" when nothing else is left.
func withoutFileURLs(body string, as []backend.Attachment) string {
	for _, a := range as {
		body = strings.ReplaceAll(body, a.URL, "")
	}
	return strings.TrimSpace(body)
}
