package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Option adjusts how a backend runs.
type Option func(*options)

type options struct {
	log      zerolog.Logger
	maxFrame int
}

// WithLogger sets the logger (default: JSON lines on stderr, info level).
func WithLogger(l zerolog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithMaxFrame sets the largest frame accepted from the daemon (default
// protocol.DefaultMaxFrame).
func WithMaxFrame(n int) Option {
	return func(o *options) { o.maxFrame = n }
}

func buildOptions(opts []Option) options {
	o := options{log: zerolog.New(os.Stderr).Level(zerolog.InfoLevel).With().Timestamp().Logger()}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Run parses Spectrum 2's backend command line (see ParseArgs), connects to the daemon and
// serves p until the daemon sends EXIT or closes the connection (nil error), or ctx ends.
func Run(ctx context.Context, args []string, p Plugin, opts ...Option) error {
	a, err := ParseArgs(args)
	if err != nil {
		return err
	}
	return Connect(ctx, a, p, opts...)
}

// Connect connects to the daemon named by a and serves p on the connection (see Serve).
// It returns nil when ctx ends, also while connecting.
func Connect(ctx context.Context, a Args, p Plugin, opts ...Option) error {
	addr := net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if ctx.Err() != nil {
		if conn != nil {
			conn.Close()
		}
		return nil // stopped before serving: not a failure
	}
	if err != nil {
		return fmt.Errorf("backend: connect to %s: %w", addr, err)
	}
	if a.BackendID != "" {
		o := buildOptions(opts)
		opts = append(opts, WithLogger(o.log.With().Str("backend_id", a.BackendID).Logger()))
	}
	return Serve(ctx, conn, p, opts...)
}

// Serve speaks the backend protocol on conn, which it closes before returning. It sends
// BACKEND_CONFIG first, then handles frames until EXIT (nil), end of stream (nil), a read
// error, or the end of ctx (nil). It returns after the goroutines started with Sink.Go.
func Serve(ctx context.Context, conn net.Conn, p Plugin, opts ...Option) error {
	o := buildOptions(opts)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sink := newSink(ctx, protocol.NewWriter(conn))
	defer func() {
		cancel()
		stop()
		conn.Close()
		sink.wg.Wait()
	}()
	c := &session{ctx: ctx, p: p, sink: sink, log: o.log, stats: newStats()}
	cfg := &pb.BackendConfig{Config: ptr(p.Features().INI())}
	if err := sink.send(pb.WrapperMessage_TYPE_BACKEND_CONFIG, cfg); err != nil {
		return fmt.Errorf("backend: send BACKEND_CONFIG: %w", err)
	}
	err := c.loop(protocol.NewReader(conn, o.maxFrame))
	if ctx.Err() != nil || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// errExit ends the loop when the daemon sends EXIT.
var errExit = errors.New("backend: EXIT received")

func (c *session) loop(r *protocol.Reader) error {
	for {
		f, err := r.ReadFrame()
		if errors.Is(err, protocol.ErrBadFrame) {
			// Spec 1.4: a frame that does not parse is dropped; the rest is still good.
			c.log.Warn().Err(err).Msg("dropping malformed frame")
			continue
		}
		if err != nil {
			return fmt.Errorf("backend: read: %w", err)
		}
		if err := c.handle(f); err != nil {
			if errors.Is(err, errExit) {
				c.log.Info().Msg("EXIT from the daemon")
				return nil
			}
			return err
		}
	}
}

func ptr[T any](v T) *T { return &v }
