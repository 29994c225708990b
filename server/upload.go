package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/metrics"
	"github.com/gospectrum/spectrum2/server/config"
	"github.com/gospectrum/spectrum2/upload"
)

// uploadServer is the upload feature and its HTTP(S) listener ([upload]).
type uploadServer struct {
	svc  *upload.Service
	ln   net.Listener
	srv  *http.Server
	cert func() *tls.Certificate // the c2s certificate, which SIGHUP reloads
	log  zerolog.Logger
}

// openUpload listens on upload.listen and builds the feature on st, which it registers
// in st.features; nil when the service is off. cert is asked for the certificate at
// every TLS handshake, so that a reloaded one is used at once.
func openUpload(cfg *config.Config, st *storage, m *metrics.Metrics, cert func() *tls.Certificate, log zerolog.Logger) (*uploadServer, error) {
	if cfg.Upload.Listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.Upload.Listen)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	svc, err := upload.New(upload.Config{
		Store:       st.db,
		Dir:         cfg.UploadDir(),
		PublicURL:   cfg.UploadURL(ln.Addr()),
		MaxFileSize: int64(cfg.Upload.MaxFileSize),
		Quota:       int64(cfg.Upload.Quota),
		SlotTTL:     cfg.Upload.SlotExpireAfter,
		ExpireAfter: cfg.Upload.ExpireAfter,
		Counter:     m,
		Log:         log,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	trusted, err := config.ParsePrefixes(cfg.Upload.TrustedProxies)
	if err != nil { // config check refused it already
		ln.Close()
		return nil, fmt.Errorf("upload.trusted_proxies: %w", err)
	}
	st.features = append(st.features, svc)
	ln = newConnLimiter(ln, cfg.Upload.MaxConns, cfg.Upload.MaxConnsPerIP, trusted)
	u := &uploadServer{svc: svc, ln: ln, cert: cert, log: log.With().Str("component", "upload").Logger()}
	u.srv = &http.Server{
		Handler:           svc.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          nil,
	}
	if cfg.Upload.TLS {
		u.srv.TLSConfig = &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return u.cert(), nil },
		}
	}
	u.log.Info().Stringer("listen", ln.Addr()).Str("url", cfg.UploadURL(ln.Addr())).Str("dir", cfg.UploadDir()).
		Msg("upload service at upload." + cfg.Service.JID)
	return u, nil
}

// run serves until ctx ends, beside the expiry sweep; then it closes the listener and
// waits a bounded time for transfers under way.
func (u *uploadServer) run(ctx context.Context) error {
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		_ = u.svc.Run(ctx)
	}()
	errc := make(chan error, 1)
	go func() {
		var err error
		if u.srv.TLSConfig != nil {
			err = u.srv.ServeTLS(u.ln, "", "")
		} else {
			err = u.srv.Serve(u.ln)
		}
		errc <- err
	}()
	var err error
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if u.srv.Shutdown(sctx) != nil {
			u.srv.Close() // uploads still running after the grace period are cut
		}
		cancel()
		err = <-errc
	case err = <-errc:
	}
	<-sweepDone
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
