package upload

import (
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// maxTransfers bounds the transfers one user receives at once.
const maxTransfers = 8

// transfersKey keeps a user's transfers under way (feature.User.Value).
type transfersKey struct{}

// transfer is a file from a legacy contact being written.
type transfer struct {
	up store.Upload
	f  *os.File
	n  int64
}

func transfers(u feature.User) map[int32]*transfer {
	m, _ := u.Value(transfersKey{}).(map[int32]*transfer)
	if m == nil {
		m = make(map[int32]*transfer)
		u.SetValue(transfersKey{}, m)
	}
	return m
}

func refuse(text string) error {
	return &feature.Error{Type: xmpp.ErrTypeCancel, Condition: "not-acceptable", Text: text}
}

// FileStart implements feature.Files: a slot of the user's for the file, under the same
// size limit and quota as the user's own uploads, written as the data comes.
func (s *Service) FileStart(u feature.User, f feature.File) error {
	ts := transfers(u)
	name := filepath.Base(f.Name)
	switch {
	case ts[f.ID] != nil:
		return refuse("A file transfer with this id is under way already.")
	case len(ts) >= maxTransfers:
		s.cfg.Counter.UploadRefused("busy")
		return refuse(fmt.Sprintf("The file %q was refused: %d files are arriving already.", name, maxTransfers))
	case f.Size > s.cfg.MaxFileSize:
		s.cfg.Counter.UploadRefused("too_large")
		return refuse(fmt.Sprintf("The file %q (%s) was refused: the server takes files up to %s.", name, size(f.Size), size(s.cfg.MaxFileSize)))
	case f.Size < 0:
		return refuse("A file transfer announced no size.")
	}
	if checkName(name) != "" {
		name = "file"
	}
	ctype := f.MimeType
	if ctype == "" {
		ctype = mime.TypeByExtension(filepath.Ext(name))
	}
	ctype, err := contentType(ctype)
	if err != nil {
		ctype = "application/octet-stream"
	}
	up, err := s.create(u.JID().String(), name, ctype, f.Size, s.cfg.PutTimeout)
	if errors.Is(err, store.ErrFull) {
		s.cfg.Counter.UploadRefused("quota")
		return refuse(fmt.Sprintf("The file %q (%s) was refused: your files on this server would pass your quota of %s; older ones expire after %s.",
			name, size(f.Size), size(s.cfg.Quota), s.cfg.ExpireAfter))
	}
	if err == nil {
		err = s.startTransfer(&up)
	}
	if err != nil {
		s.log.Error().Err(err).Str("jid", up.User).Msg("a legacy file transfer could not start")
		return &feature.Error{Type: xmpp.ErrTypeWait, Condition: xmpp.StanzaInternalServerError,
			Text: fmt.Sprintf("The file %q could not be stored; ask the sender to try again.", name)}
	}
	file, err := os.OpenFile(s.part(up.ID), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		s.drop(up.ID)
		s.log.Error().Err(err).Str("jid", up.User).Msg("a legacy file transfer could not start")
		return &feature.Error{Type: xmpp.ErrTypeWait, Condition: xmpp.StanzaInternalServerError, Text: "The file could not be stored."}
	}
	ts[f.ID] = &transfer{up: up, f: file}
	return nil
}

// startTransfer moves the new slot to a PUT under way (the sweep gives it up after
// PutTimeout).
func (s *Service) startTransfer(up *store.Upload) error {
	ctx, cancel := s.ctx()
	defer cancel()
	now := s.now()
	return s.cfg.Store.StartPut(ctx, up.ID, now, now.Add(s.cfg.PutTimeout))
}

// FileData implements feature.Files.
func (s *Service) FileData(u feature.User, id int32, data []byte) error {
	t := transfers(u)[id]
	if t == nil {
		return refuse("No such file transfer.")
	}
	if t.n+int64(len(data)) > t.up.Size {
		s.abort(u, id)
		return refuse(fmt.Sprintf("The file %q was refused: it is larger than announced.", t.up.Name))
	}
	if _, err := t.f.Write(data); err != nil {
		s.abort(u, id)
		s.log.Error().Err(err).Str("jid", t.up.User).Msg("writing a legacy file failed")
		return &feature.Error{Type: xmpp.ErrTypeWait, Condition: xmpp.StanzaInternalServerError, Text: "The file could not be stored."}
	}
	t.n += int64(len(data))
	return nil
}

// FileEnd implements feature.Files.
func (s *Service) FileEnd(u feature.User, id int32, complete bool) (string, error) {
	ts := transfers(u)
	t := ts[id]
	if t == nil {
		return "", refuse("No such file transfer.")
	}
	if !complete {
		s.abort(u, id)
		return "", nil
	}
	delete(ts, id)
	err := t.f.Close()
	if err == nil && t.n != t.up.Size {
		err = fmt.Errorf("upload: %d of %d bytes arrived", t.n, t.up.Size)
	}
	if err == nil {
		err = s.store(t.up, t.n)
	}
	if err != nil {
		os.Remove(s.part(t.up.ID))
		s.drop(t.up.ID)
		s.log.Warn().Err(err).Str("jid", t.up.User).Msg("a legacy file transfer failed")
		return "", refuse(fmt.Sprintf("The file %q did not arrive completely.", t.up.Name))
	}
	s.cfg.Counter.UploadStored(t.n)
	s.log.Info().Str("jid", t.up.User).Str("id", t.up.ID).Int64("bytes", t.n).Msg("legacy file stored")
	return s.url(t.up), nil
}

// abort ends a transfer and deletes what it wrote.
func (s *Service) abort(u feature.User, id int32) {
	ts := transfers(u)
	t := ts[id]
	delete(ts, id)
	t.f.Close()
	os.Remove(s.part(t.up.ID))
	s.drop(t.up.ID)
}

func (s *Service) drop(id string) {
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.cfg.Store.DeleteUpload(ctx, id); err != nil {
		s.log.Error().Err(err).Str("id", id).Msg("deleting a failed upload")
	}
}

// size says n bytes for people.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
