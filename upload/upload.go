package upload

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// NS is XEP-0363's namespace.
const NS = "urn:xmpp:http:upload:0"

// Label is the service's subdomain label: upload.<domain>.
const Label = "upload"

// Defaults of Config.
const (
	DefaultMaxFileSize = 50 << 20
	DefaultQuota       = 500 << 20
	DefaultSlotTTL     = 5 * time.Minute
	DefaultPutTimeout  = time.Hour
	DefaultExpireAfter = 7 * 24 * time.Hour
	DefaultSweepEvery  = time.Minute
	DefaultSweepBatch  = 200
	DefaultTimeout     = 5 * time.Second
	DefaultMaxPuts     = 64
	DefaultUserPuts    = 4
)

// maxNameBytes bounds a file name (as most file systems do).
const maxNameBytes = 255

// Config configures the service. Store, Dir and PublicURL are required.
type Config struct {
	Store store.UploadStore
	// Dir holds the files, named by their IDs; shared by the hosts of a cluster.
	Dir string
	// PublicURL is where clients reach Handler, e.g. "https://upload.example.org:5443";
	// the slots' URLs are PublicURL + "/upload/ID/NAME".
	PublicURL   string
	MaxFileSize int64         // bytes; 0 = DefaultMaxFileSize
	Quota       int64         // bytes per user, files and open slots; 0 = DefaultQuota
	SlotTTL     time.Duration // an unused slot's life; 0 = DefaultSlotTTL
	PutTimeout  time.Duration // longest PUT; 0 = DefaultPutTimeout
	ExpireAfter time.Duration // a file's life; 0 = DefaultExpireAfter
	SweepEvery  time.Duration // 0 = DefaultSweepEvery
	SweepBatch  int           // 0 = DefaultSweepBatch
	Timeout     time.Duration // of one store call; 0 = DefaultTimeout
	// MaxPuts and UserPuts bound the PUTs under way, in all and per user (0: the
	// defaults); a PUT past them gets 503 with Retry-After and keeps its slot.
	MaxPuts, UserPuts int
	Counter           Counter // nil counts nothing
	Log               zerolog.Logger
}

// Counter counts uploads; *metrics.Metrics implements it.
type Counter interface {
	// UploadStored counts a file stored (a PUT or a legacy transfer) of n bytes.
	UploadStored(n int64)
	// UploadRefused counts a refused slot request, PUT or transfer, by a reason of a
	// small fixed set (Reasons).
	UploadRefused(reason string)
}

// Reasons are the labels UploadRefused is called with.
var Reasons = []string{"too_large", "quota", "token", "size", "type", "used", "expired", "busy", "body", "error"}

type nopCounter struct{}

func (nopCounter) UploadStored(int64)   {}
func (nopCounter) UploadRefused(string) {}

// Service is the feature and its HTTP handler. It is safe for concurrent use.
type Service struct {
	cfg  Config
	log  zerolog.Logger
	now  func() time.Time
	puts puts
}

var (
	_ feature.Subdomain = (*Service)(nil)
	_ feature.Files     = (*Service)(nil)
)

// New returns the service; it creates cfg.Dir.
func New(cfg Config) (*Service, error) {
	setDefault(&cfg.MaxFileSize, DefaultMaxFileSize)
	setDefault(&cfg.Quota, DefaultQuota)
	setDefault(&cfg.SlotTTL, DefaultSlotTTL)
	setDefault(&cfg.PutTimeout, DefaultPutTimeout)
	setDefault(&cfg.ExpireAfter, DefaultExpireAfter)
	setDefault(&cfg.SweepEvery, DefaultSweepEvery)
	setDefault(&cfg.SweepBatch, DefaultSweepBatch)
	setDefault(&cfg.Timeout, DefaultTimeout)
	setDefault(&cfg.MaxPuts, DefaultMaxPuts)
	setDefault(&cfg.UserPuts, DefaultUserPuts)
	if cfg.Counter == nil {
		cfg.Counter = nopCounter{}
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("upload: public URL %q is no http(s) URL", cfg.PublicURL)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	return &Service{cfg: cfg, log: cfg.Log.With().Str("component", "upload").Logger(), now: time.Now,
		puts: puts{max: cfg.MaxPuts, perUser: cfg.UserPuts, users: make(map[string]int)}}, nil
}

func setDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// puts counts the PUTs under way, in all and per user (bounded: at most max users).
type puts struct {
	mu           sync.Mutex
	max, perUser int
	total        int
	users        map[string]int
}

// acquire takes a place for a PUT of user; false when a bound is reached.
func (p *puts) acquire(user string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total >= p.max || p.users[user] >= p.perUser {
		return false
	}
	p.total++
	p.users[user]++
	return true
}

func (p *puts) release(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total--
	if p.users[user]--; p.users[user] <= 0 {
		delete(p.users, user)
	}
}

// Name implements feature.Feature.
func (*Service) Name() string { return "upload" }

// Subdomain implements feature.Subdomain.
func (*Service) Subdomain() (string, string) { return Label, "HTTP File Upload" }

// HandleSubdomainIQ implements feature.Subdomain: disco and slot requests.
func (s *Service) HandleSubdomainIQ(u feature.User, from string, iq *xmpp.Element) {
	kids := iq.Children()
	var p *xmpp.Element
	if len(kids) == 1 {
		p = kids[0]
	}
	switch {
	case p == nil:
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "one payload expected"))
	case iq.Type() == "get" && p.Is(xmpp.NSDiscoInfo, "query") && p.Attr("node") == "":
		u.Send(from, result(iq).Append(s.discoInfo()))
	case iq.Type() == "get" && p.Is(xmpp.NSDiscoItems, "query"):
		u.Send(from, result(iq).Append(xmpp.New(xmpp.NSDiscoItems, "query", "node", p.Attr("node"))))
	case iq.Type() == "get" && p.Is(NS, "request"):
		u.Send(from, s.slot(u, iq, p))
	case p.Is(xmpp.NSDiscoInfo, "query"):
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
	default:
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
	}
}

func result(iq *xmpp.Element) *xmpp.Element {
	r := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID())
	r.SetAttr("from", iq.To())
	r.SetAttr("to", iq.From())
	return r
}

// discoInfo is the service's identity (store/file, which clients look for), its feature
// and the XEP-0128 form with max-file-size (XEP-0363 section 3).
func (s *Service) discoInfo() *xmpp.Element {
	field := func(v, val string) *xmpp.Element {
		f := xmpp.New(xmpp.NSDataForms, "field", "var", v)
		if v == "FORM_TYPE" {
			f.SetAttr("type", "hidden")
		}
		return f.Append(xmpp.New(xmpp.NSDataForms, "value").AppendText(val))
	}
	return xmpp.New(xmpp.NSDiscoInfo, "query").Append(
		xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "store", "type", "file", "name", "HTTP File Upload"),
		xmpp.New(xmpp.NSDiscoInfo, "feature", "var", xmpp.NSDiscoInfo),
		xmpp.New(xmpp.NSDiscoInfo, "feature", "var", NS),
		xmpp.New(xmpp.NSDataForms, "x", "type", "result").Append(
			field("FORM_TYPE", NS), field("max-file-size", strconv.FormatInt(s.cfg.MaxFileSize, 10))),
	)
}

// slot answers a slot request: the slot, or why not.
func (s *Service) slot(u feature.User, iq, req *xmpp.Element) *xmpp.Element {
	name, ctype := req.Attr("filename"), req.Attr("content-type")
	size, err := strconv.ParseInt(req.Attr("size"), 10, 64)
	if err != nil || size < 0 {
		return xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "size must be a number of bytes")
	}
	if msg := checkName(name); msg != "" {
		return xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, msg)
	}
	if ctype, err = contentType(ctype); err != nil {
		return xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "content-type is no media type")
	}
	if size > s.cfg.MaxFileSize {
		s.cfg.Counter.UploadRefused("too_large")
		return s.tooLarge(iq)
	}
	up, err := s.create(u.JID().String(), name, ctype, size, s.cfg.SlotTTL)
	if err != nil {
		return s.refusal(iq, u.JID().String(), err)
	}
	put := xmpp.New(NS, "put", "url", s.url(up)).Append(
		xmpp.New(NS, "header", "name", "Authorization").AppendText("Bearer " + up.Token))
	return result(iq).Append(xmpp.New(NS, "slot").Append(put, xmpp.New(NS, "get", "url", s.url(up))))
}

// create stores a new slot of the user for ttl.
func (s *Service) create(user, name, ctype string, size int64, ttl time.Duration) (store.Upload, error) {
	now := s.now()
	up := store.Upload{ID: random(16), User: user, Name: name, Size: size, Type: ctype, Token: random(32),
		State: store.SlotOpen, Created: now, Expires: now.Add(ttl)}
	ctx, cancel := s.ctx()
	defer cancel()
	return up, s.cfg.Store.CreateUpload(ctx, up, s.cfg.Quota)
}

func (s *Service) tooLarge(iq *xmpp.Element) *xmpp.Element {
	r := xmpp.ErrorReply(iq, xmpp.ErrTypeModify, "not-acceptable",
		"File too large: the limit is "+strconv.FormatInt(s.cfg.MaxFileSize, 10)+" bytes.")
	r.Child(xmpp.NSClient, "error").Append(xmpp.New(NS, "file-too-large").Append(
		xmpp.New(NS, "max-file-size").AppendText(strconv.FormatInt(s.cfg.MaxFileSize, 10))))
	return r
}

// refusal is the answer to a slot the store refused: the quota, or a failure.
func (s *Service) refusal(iq *xmpp.Element, user string, err error) *xmpp.Element {
	if errors.Is(err, store.ErrFull) {
		s.cfg.Counter.UploadRefused("quota")
		s.log.Info().Str("jid", user).Int64("quota", s.cfg.Quota).Msg("upload refused: quota reached")
		return xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaResourceConstraint,
			"Upload quota reached: your files hold "+strconv.FormatInt(s.cfg.Quota, 10)+" bytes until older ones expire.")
	}
	s.cfg.Counter.UploadRefused("error")
	s.log.Error().Err(err).Str("jid", user).Msg("upload slot not stored")
	return xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaInternalServerError, "")
}

// url is the PUT and GET URL of an upload.
func (s *Service) url(up store.Upload) string {
	return s.cfg.PublicURL + "/upload/" + up.ID + "/" + url.PathEscape(up.Name)
}

// checkName refuses file names that are no single path segment of printable text.
func checkName(name string) string {
	switch {
	case name == "" || name == "." || name == "..":
		return "filename is empty"
	case len(name) > maxNameBytes:
		return "filename is longer than 255 bytes"
	case strings.ContainsRune(name, '/') || strings.ContainsRune(name, '\\'):
		return "filename must not contain a slash"
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0:
		return "filename must not contain control characters"
	}
	return ""
}

// contentType normalises a client's content type; empty is application/octet-stream.
func contentType(ct string) (string, error) {
	if ct == "" {
		return "application/octet-stream", nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		return "", fmt.Errorf("upload: content type %q: %w", ct, errors.Join(err, errors.New("no media type")))
	}
	return mime.FormatMediaType(mt, params), nil
}

// random is n random bytes in URL-safe base64.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Service) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.cfg.Timeout)
}
