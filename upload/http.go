package upload

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/store"
)

// Headers every GET answer carries: the browser must not guess a type (an image could be
// HTML) and must run nothing of the file, whatever its type says (XEP-0363 section 11).
const (
	csp     = "default-src 'none'; sandbox"
	nosniff = "nosniff"
)

// Handler serves PUT and GET (and HEAD) of /upload/ID/NAME.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, name, ok := splitPath(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodPut:
			s.put(w, r, id)
		case http.MethodGet, http.MethodHead:
			s.get(w, r, id, name)
		case http.MethodOptions:
			w.Header().Set("Allow", "GET, HEAD, PUT, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "GET, HEAD, PUT, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// splitPath splits /upload/ID/NAME (NAME already unescaped by net/http).
func splitPath(p string) (id, name string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/upload/")
	if !ok {
		return "", "", false
	}
	id, name, ok = strings.Cut(rest, "/")
	return id, name, ok && id != "" && name != "" && !strings.ContainsAny(id, "./")
}

// path is where the bytes of upload id are; part is where a PUT writes them first.
func (s *Service) path(id string) string { return filepath.Join(s.cfg.Dir, id) }
func (s *Service) part(id string) string { return filepath.Join(s.cfg.Dir, id+".part") }

// httpError is a PUT's refusal: its status, a text for the client, and the reason
// counted (Reasons).
type httpError struct {
	status int
	reason string
	text   string
}

func (e *httpError) Error() string { return e.text }

// put stores the body of a PUT to an open slot, within the bounds on PUTs under way.
func (s *Service) put(w http.ResponseWriter, r *http.Request, id string) {
	up, err := s.checkPut(r, id)
	if err == nil {
		if !s.puts.acquire(up.User) {
			err = &httpError{http.StatusServiceUnavailable, "busy", "too many uploads under way; try again"}
			w.Header().Set("Retry-After", "5")
		} else {
			defer s.puts.release(up.User)
			if err = s.startPut(id); err == nil {
				err = s.receive(r, up)
			}
		}
	}
	var he *httpError
	switch {
	case errors.As(err, &he):
		s.cfg.Counter.UploadRefused(he.reason)
		s.log.Info().Str("id", id).Int("status", he.status).Str("reason", he.text).Msg("upload PUT refused")
		http.Error(w, he.text, he.status)
	case err != nil:
		s.cfg.Counter.UploadRefused("error")
		s.log.Error().Err(err).Str("id", id).Msg("upload PUT failed")
		http.Error(w, "the file could not be stored", http.StatusInternalServerError)
	default:
		s.cfg.Counter.UploadStored(up.Size)
		s.log.Info().Str("id", id).Str("jid", up.User).Int64("bytes", up.Size).Msg("file uploaded")
		w.WriteHeader(http.StatusCreated)
	}
}

// checkPut finds the slot and checks the request against it: token, size, type.
func (s *Service) checkPut(r *http.Request, id string) (store.Upload, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	up, err := s.cfg.Store.Upload(ctx, id)
	switch {
	case errors.Is(err, store.ErrNoUpload):
		return up, &httpError{http.StatusNotFound, "expired", "no such slot (it may have expired)"}
	case err != nil:
		return up, err
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(tok), []byte(up.Token)) != 1 {
		return up, &httpError{http.StatusForbidden, "token", "wrong or missing token"}
	}
	switch {
	case up.State != store.SlotOpen:
		return up, &httpError{http.StatusConflict, "used", "the slot was used already"}
	case !s.now().Before(up.Expires):
		return up, &httpError{http.StatusGone, "expired", "the slot expired"}
	case r.ContentLength < 0:
		return up, &httpError{http.StatusLengthRequired, "size", "Content-Length is required"}
	case r.ContentLength > up.Size:
		return up, &httpError{http.StatusRequestEntityTooLarge, "size", "larger than the slot's size " + strconv.FormatInt(up.Size, 10)}
	case r.ContentLength != up.Size:
		return up, &httpError{http.StatusBadRequest, "size", "Content-Length differs from the slot's size " + strconv.FormatInt(up.Size, 10)}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if got, err := contentType(ct); err != nil || !sameType(got, up.Type) {
			return up, &httpError{http.StatusBadRequest, "type", "Content-Type differs from the slot's " + up.Type}
		}
	}
	return up, nil
}

// startPut moves the slot to a PUT under way: from here on it is used.
func (s *Service) startPut(id string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.cfg.Store.StartPut(ctx, id, s.now(), s.now().Add(s.cfg.PutTimeout)); err != nil {
		if errors.Is(err, store.ErrNoUpload) {
			return &httpError{http.StatusConflict, "used", "the slot was used already"}
		}
		return err
	}
	return nil
}

// sameType compares media types without their parameters' spelling.
func sameType(a, b string) bool {
	ma, _, _ := mime.ParseMediaType(a)
	mb, _, _ := mime.ParseMediaType(b)
	return ma == mb
}

// receive streams the body to disk and makes the slot a file. On any failure the slot
// is gone: the client asks for a new one.
func (s *Service) receive(r *http.Request, up store.Upload) (err error) {
	defer func() {
		if err != nil {
			os.Remove(s.part(up.ID))
			ctx, cancel := s.ctx()
			defer cancel()
			if derr := s.cfg.Store.DeleteUpload(ctx, up.ID); derr != nil {
				s.log.Error().Err(derr).Str("id", up.ID).Msg("deleting a failed upload")
			}
		}
	}()
	f, err := os.OpenFile(s.part(up.ID), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r.Body, up.Size+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &httpError{http.StatusBadRequest, "body", "the body ended early"}
	}
	if n != up.Size {
		return &httpError{http.StatusBadRequest, "body", "the body's length differs from the slot's size"}
	}
	return s.store(up, n)
}

// store makes a completely written part file the upload's file.
func (s *Service) store(up store.Upload, n int64) error {
	if err := os.Rename(s.part(up.ID), s.path(up.ID)); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.cfg.Store.FinishPut(ctx, up.ID, n, s.now().Add(s.cfg.ExpireAfter)); err != nil {
		os.Remove(s.path(up.ID))
		if errors.Is(err, store.ErrNoUpload) {
			return &httpError{http.StatusGone, "expired", "the upload took longer than allowed"}
		}
		return err
	}
	return nil
}

// get serves a stored file.
func (s *Service) get(w http.ResponseWriter, r *http.Request, id, name string) {
	ctx, cancel := s.ctx()
	up, err := s.cfg.Store.Upload(ctx, id)
	cancel()
	if err != nil && !errors.Is(err, store.ErrNoUpload) {
		s.log.Error().Err(err).Str("id", id).Msg("upload lookup failed")
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	now := s.now()
	if err != nil || up.State != store.FileStored || up.Name != name || !now.Before(up.Expires) {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		s.log.Error().Err(err).Str("id", id).Msg("stored upload unreadable")
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", up.Type)
	h.Set("Content-Disposition", disposition(up.Type, up.Name))
	h.Set("X-Content-Type-Options", nosniff)
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "public, max-age="+strconv.FormatInt(int64(up.Expires.Sub(now)/time.Second), 10)+", immutable")
	h.Set("Expires", up.Expires.UTC().Format(http.TimeFormat))
	h.Set("ETag", `"`+id+`"`)
	http.ServeContent(w, r, "", up.Created, f) // Range, If-None-Match, If-Modified-Since, HEAD
}

// disposition shows media inline and offers everything else as a download, with the
// client's file name (RFC 6266, RFC 5987 for non-ASCII names).
func disposition(ctype, name string) string {
	kind := "attachment"
	mt, _, _ := mime.ParseMediaType(ctype)
	if t, _, _ := strings.Cut(mt, "/"); t == "image" || t == "audio" || t == "video" {
		kind = "inline"
	}
	if d := mime.FormatMediaType(kind, map[string]string{"filename": name}); d != "" {
		return d
	}
	return kind
}
