// Copyright (c) Liam Stanley <me@liamstanley.io>. All rights reserved. Use
// of this source code is governed by the MIT license that can be found in
// the LICENSE file.

package girc

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"
)

// Messages are delimited with CR and LF line endings, we're using the last
// one to split the stream. Both are removed during parsing of the message.
const delim byte = '\n'

var endline = []byte("\r\n")

// ircConn represents an IRC network protocol connection, it consists of an
// Encoder and Decoder to manage i/o.
type ircConn struct {
	in   *bufio.Reader
	sock net.Conn

	mu sync.RWMutex
	// lastWrite is used to keep track of when we last wrote to the server.
	lastWrite time.Time
	// lastActive is the last time the client was interacting with the server,
	// excluding a few background commands (PING, PONG, WHO, etc).
	lastActive time.Time
	// writeDelay is used to keep track of rate limiting of events sent to
	// the server.
	writeDelay time.Duration
	// connected is true if we're actively connected to a server.
	connected bool
	// connTime is the time at which the client has connected to a server.
	connTime *time.Time
	// lastPing is the last time that we pinged the server.
	lastPing time.Time
	// lastPong is the last successful time that we pinged the server and
	// received a successful pong back.
	lastPong time.Time

	// spectrum2: the connection's liveness. lastRead is when the read loop last got a line
	// from the server or finished handling one; busy is set while it runs handlers. Any line
	// shows the server is there, so the ping check waits for silence while we wait to
	// read, not for a PONG that may queue behind thousands of lines on a busy gateway.
	lastRead time.Time
	busy     bool
	// wmu serialises writes to the socket (spectrum2: upstream's sendLoop goroutine).
	wmu sync.Mutex
	// err is the first failure of a write or the ping check, which ends the connection.
	err error
	// pingTimer runs the ping check (spectrum2: upstream's pingLoop goroutine).
	pingTimer *time.Timer
	pingSent  bool
	started   time.Time
}

// fail records the first failure and wakes the read loop, which ends the connection.
func (c *ircConn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	_ = c.sock.SetReadDeadline(time.Now())
}

// failure is the failure recorded by fail, if any.
func (c *ircConn) failure() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.err
}

// Dialer is an interface implementation of net.Dialer. Use this if you would
// like to implement your own dialer which the client will use when connecting.
type Dialer interface {
	// Dial takes two arguments. Network, which should be similar to "tcp",
	// "tdp6", "udp", etc -- as well as address, which is the hostname or ip
	// of the network. Note that network can be ignored if your transport
	// doesn't take advantage of network types.
	Dial(network, address string) (net.Conn, error)
}

// newConn sets up and returns a new connection to the server.
func newConn(conf Config, dialer Dialer, addr string, sts *strictTransport) (*ircConn, error) {
	if err := conf.isValid(); err != nil {
		return nil, err
	}

	var conn net.Conn
	var err error

	if dialer == nil {
		netDialer := &net.Dialer{Timeout: 5 * time.Second}

		if conf.Bind != "" {
			var local *net.TCPAddr
			local, err = net.ResolveTCPAddr("tcp", conf.Bind+":0")
			if err != nil {
				return nil, err
			}

			netDialer.LocalAddr = local
		}

		dialer = netDialer
	}

	if conn, err = dialer.Dial("tcp", addr); err != nil {
		if sts.enabled() {
			err = &ErrSTSUpgradeFailed{Err: err}
		}

		if sts.expired() && !conf.DisableSTSFallback {
			sts.lastFailed = time.Now()
			sts.reset()
		}
		return nil, err
	}

	if conf.SSL || sts.enabled() {
		conn = tlsHandshake(conn, conf.TLSConfig, conf.Server, true)
	}

	ctime := time.Now()

	c := &ircConn{
		sock:      conn,
		connTime:  &ctime,
		connected: true,
	}
	c.newReadWriter()

	return c, nil
}

func newMockConn(conn net.Conn) *ircConn {
	ctime := time.Now()
	c := &ircConn{
		sock:      conn,
		connTime:  &ctime,
		connected: true,
	}
	c.newReadWriter()

	return c
}

// ErrParseEvent is aliased to ParseEventError.
//
// Deprecated: use ParseEventError instead.
type ErrParseEvent = ParseEventError //nolint:errname

// ParseEventError is returned when an event cannot be parsed with ParseEvent().
type ParseEventError struct {
	Line string
}

func (e ParseEventError) Error() string { return "unable to parse event: " + e.Line }

// spectrum2: maxLine bounds a line from the server: IRCv3 message
// tags may take 8,191 bytes and the rest of a line 512 with its CR LF. ReadString
// grew without bound on a server that never sent a newline.
const maxLine = 8191 + 512

// errLineTooLong ends the connection to a server that sent a line past maxLine.
var errLineTooLong = errors.New("girc: the server sent a line longer than 8703 bytes")

// readLine reads one line of at most maxLine bytes, its delimiter included.
func readLine(r *bufio.Reader) (string, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice(delim)
		if len(line)+len(chunk) > maxLine {
			return "", errLineTooLong
		}
		if err == nil && line == nil {
			return string(chunk), nil
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		return string(line), nil
	}
}

// readBuffer is the size of a connection's read buffer (spectrum2: upstream used a
// bufio.ReadWriter of 4 KB each way; writes now go to the socket whole, see write, and a
// line longer than the buffer is read in parts by readLine).
const readBuffer = 1024

func (c *ircConn) newReadWriter() {
	c.in = bufio.NewReaderSize(c.sock, readBuffer)
}

func tlsHandshake(conn net.Conn, conf *tls.Config, server string, validate bool) net.Conn {
	if conf == nil {
		conf = &tls.Config{ServerName: server, InsecureSkipVerify: !validate} //nolint:gosec
	}

	tlsConn := tls.Client(conn, conf)
	return net.Conn(tlsConn)
}

// Close closes the underlying socket.
func (c *ircConn) Close() error {
	return c.sock.Close()
}

// Connect attempts to connect to the given IRC server. Returns only when
// an error has occurred, or a disconnect was requested with Close(). Connect
// will only return once all client-based goroutines have been closed to
// ensure there are no long-running routines becoming backed up.
//
// Connect will wait for all non-goroutine handlers to complete on error/quit,
// however it will not wait for goroutine-based handlers.
//
// If this returns nil, this means that the client requested to be closed
// (e.g. Client.Close()). Connect will panic if called when the last call has
// not completed.
func (c *Client) Connect() error {
	return c.internalConnect(nil, nil)
}

// DialerConnect allows you to specify your own custom dialer which implements
// the Dialer interface.
//
// An example of using this library would be to take advantage of the
// golang.org/x/net/proxy library:
//
//	proxyUrl, _ := proxyURI, err = url.Parse("socks5://1.2.3.4:8888")
//	dialer, _ := proxy.FromURL(proxyURI, &net.Dialer{Timeout: 5 * time.Second})
//	_ := girc.DialerConnect(dialer)
func (c *Client) DialerConnect(dialer Dialer) error {
	return c.internalConnect(nil, dialer)
}

// MockConnect is used to implement mocking with an IRC server. Supply a net.Conn
// that will be used to spoof the server. A useful way to do this is to so
// net.Pipe(), pass one end into MockConnect(), and the other end into
// bufio.NewReader().
//
// For example:
//
//	client := girc.New(girc.Config{
//		Server: "dummy.int",
//		Port:   6667,
//		Nick:   "test",
//		User:   "test",
//		Name:   "Testing123",
//	})
//
//	in, out := net.Pipe()
//	defer in.Close()
//	defer out.Close()
//	b := bufio.NewReader(in)
//
//	go func() {
//		if err := client.MockConnect(out); err != nil {
//			panic(err)
//		}
//	}()
//
//	defer client.Close(false)
//
//	for {
//		in.SetReadDeadline(time.Now().Add(300 * time.Second))
//		line, err := b.ReadString(byte('\n'))
//		if err != nil {
//			panic(err)
//		}
//
//		event := girc.ParseEvent(line)
//
//		if event == nil {
//	 		continue
//	 	}
//
//	 	// Do stuff with event here.
//	 }
func (c *Client) MockConnect(conn net.Conn) error {
	return c.internalConnect(conn, nil)
}

func (c *Client) internalConnect(mock net.Conn, dialer Dialer) error {
startConn:
	// We want to be the only one handling connects/disconnects right now.
	c.mu.Lock()

	if c.conn != nil {
		panic("use of connect more than once")
	}

	// Reset the state.
	c.state.reset(false)

	addr := c.server()

	if mock == nil {
		// Validate info, and actually make the connection.
		c.debug.Printf("connecting to %s... (sts: %v, config-ssl: %v)", addr, c.state.sts.enabled(), c.Config.SSL)
		conn, err := newConn(c.Config, dialer, addr, &c.state.sts)
		if err != nil {
			errSTSUpgradeFailed := &ErrSTSUpgradeFailed{}
			if errors.As(err, &errSTSUpgradeFailed) {
				if !c.state.sts.enabled() {
					c.RunHandlers(&Event{Command: STS_ERR_FALLBACK})
				}
			}
			c.mu.Unlock()
			return err
		}

		c.conn = conn
	} else {
		c.conn = newMockConn(mock)
	}
	var ctx context.Context
	ctx, c.stop = context.WithCancel(context.Background())
	c.mu.Unlock()

	// spectrum2: one goroutine per connection, this one, reads and runs the handlers
	// (readEvents); writes go straight to the socket (write) and the ping check is a timer
	// (pingCheck). Upstream ran four goroutines per connection, and one more per line read.
	c.conn.mu.Lock()
	c.conn.started = time.Now()
	c.conn.lastPing, c.conn.lastPong, c.conn.lastRead = c.conn.started, c.conn.started, c.conn.started
	if c.Config.PingDelay > 0 {
		c.conn.pingTimer = time.AfterFunc(c.Config.PingDelay, func() { c.pingCheck(ctx) })
	}
	c.conn.mu.Unlock()

	// Passwords first.

	if c.Config.WebIRC.Password != "" {
		c.write(&Event{Command: WEBIRC, Params: c.Config.WebIRC.Params(), Sensitive: true})
	}

	if c.Config.ServerPass != "" {
		c.write(&Event{Command: PASS, Params: []string{c.Config.ServerPass}, Sensitive: true})
	}

	// List the IRCv3 capabilities, specifically with the max protocol we
	// support. The IRCv3 specification doesn't directly state if this should
	// be called directly before registration, or if it should be called
	// after NICK/USER requests. It looks like non-supporting networks
	// should ignore this, and some IRCv3 capable networks require this to
	// occur before NICK/USER registration.
	c.listCAP()

	// Then nickname.
	c.write(&Event{Command: NICK, Params: []string{c.Config.Nick}})

	// Then username and realname.
	if c.Config.Name == "" {
		c.Config.Name = c.Config.User
	}

	c.write(&Event{Command: USER, Params: []string{c.Config.User, "*", "*", c.Config.Name}})

	// Send a virtual event allowing hooks for successful socket connection.
	c.RunHandlers(&Event{Command: INITIALIZED, Params: []string{addr}})

	// Read until the first error.
	err := c.readEvents(ctx)
	c.conn.mu.RLock()
	if c.conn.pingTimer != nil {
		c.conn.pingTimer.Stop()
	}
	c.conn.mu.RUnlock()
	if err != nil {
		c.debug.Printf("received error, beginning cleanup: %v", err)
	} else {
		if !c.state.sts.beginUpgrade {
			c.debug.Print("received request to close, beginning clean up")
		}

		c.RunHandlers(&Event{Command: CLOSED, Params: []string{addr}})
	}

	// Make sure that the connection is closed if not already.
	c.mu.RLock()
	if c.stop != nil {
		c.stop()
	}
	c.conn.mu.Lock()
	c.conn.connected = false
	_ = c.conn.Close()
	c.conn.mu.Unlock()
	c.mu.RUnlock()

	c.RunHandlers(&Event{Command: DISCONNECTED, Params: []string{addr}})

	// This helps ensure that the end user isn't improperly using the client
	// more than once. If they want to do this, they should be using multiple
	// clients, not multiple instances of Connect().
	c.mu.Lock()
	c.conn = nil

	if err == nil {
		if c.state.sts.beginUpgrade {
			c.state.sts.beginUpgrade = false
			c.mu.Unlock()
			goto startConn
		}

		if c.state.sts.enabled() {
			c.state.sts.persistenceReceived = time.Now()
		}
	}
	c.mu.Unlock()

	return err
}

// readEvents reads lines from the server with a timeout of 300 seconds each, and runs
// their handlers, until the connection fails or Close is called (nil then).
// spectrum2: upstream's readLoop, which read each line in a goroutine of its own and passed
// the events to execLoop's goroutine through a channel, dropping them after 30 s.
func (c *Client) readEvents(ctx context.Context) error {
	c.debug.Print("starting readLoop")
	defer c.debug.Print("closing readLoop")

	for {
		for _, e := range c.takePending() {
			c.RunHandlers(e)
			if e.Command == ERROR {
				return &EventError{Event: e}
			}
		}
		_ = c.conn.sock.SetReadDeadline(time.Now().Add(300 * time.Second))
		if err := c.conn.failure(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}

		line, err := readLine(c.conn.in)
		if err != nil {
			if ferr := c.conn.failure(); ferr != nil {
				return ferr
			}
			if ctx.Err() != nil {
				return nil
			}
			return err
		}

		c.conn.mu.Lock()
		c.conn.lastRead, c.conn.busy = time.Now(), true
		c.conn.mu.Unlock()

		event := ParseEvent(line)
		if event == nil {
			return ErrParseEvent{Line: line}
		}

		// Check if it's an echo-message.
		if !c.Config.disableTracking {
			event.Echo = (event.Command == PRIVMSG || event.Command == NOTICE) &&
				event.Source != nil && event.Source.ID() == c.GetID()
		}

		c.RunHandlers(event)

		c.conn.mu.Lock()
		c.conn.lastRead, c.conn.busy = time.Now(), false
		c.conn.mu.Unlock()

		if event.Command == ERROR {
			// Handles incoming ERROR responses. These are only ever sent
			// by the server, and should always be followed up by the server
			// disconnecting the client; if it does not, we do.
			return &EventError{Event: event}
		}
	}
}

// Send sends an event to the server. Send will split events if the event is longer
// than what the server supports, and is an event that supports splitting. Use
// Client.RunHandlers() if you are simply looking to trigger handlers with an event.
func (c *Client) Send(event *Event) {
	var delay time.Duration

	if c.Config.GlobalFormat && len(event.Params) > 0 && event.Params[len(event.Params)-1] != "" &&
		(event.Command == PRIVMSG || event.Command == TOPIC || event.Command == NOTICE) {
		event.Params[len(event.Params)-1] = Fmt(event.Params[len(event.Params)-1])
	}

	events := event.split(c.MaxEventLength())

	for _, e := range events {
		if !c.Config.AllowFlood {
			c.mu.RLock()

			// Drop the event early as we're disconnected, this way we don't have to wait
			// the (potentially long) rate limit delay before dropping.
			if c.conn == nil {
				c.debugLogEvent(e, true)
				c.mu.RUnlock()
				return
			}

			c.conn.mu.Lock()
			delay = c.conn.rate(e.Len())
			c.conn.mu.Unlock()
			c.mu.RUnlock()
		}

		<-time.After(delay)
		c.write(e)
	}
}

// write is the lower level function to write an event. It does not have a
// write-delay when sending events. write will timeout after 30s if the event
// can't be sent.
// spectrum2: it writes to the socket itself, under the connection's write lock, rather
// than through sendLoop's goroutine; a failed write ends the connection as before.
func (c *Client) write(event *Event) {
	c.mu.RLock()
	defer c.mu.RUnlock()

	if c.conn == nil {
		// Drop the event if disconnected.
		c.debugLogEvent(event, true)
		return
	}

	// Check if tags exist on the event. If they do, and message-tags
	// isn't a supported capability, remove them from the event.
	if event.Tags != nil {
		c.state.RLock()
		_, in := c.state.enabledCap["message-tags"]
		c.state.RUnlock()

		if !in {
			event.Tags = Tags{}
		}
	}

	conn := c.conn
	conn.wmu.Lock()
	if conn.failure() != nil {
		conn.wmu.Unlock()
		c.debugLogEvent(event, true)
		return
	}

	c.debugLogEvent(event, false)

	conn.mu.Lock()
	conn.lastWrite = time.Now()
	if event.Command != PING && event.Command != PONG && event.Command != WHO {
		conn.lastActive = conn.lastWrite
	}
	conn.mu.Unlock()

	_ = conn.sock.SetWriteDeadline(time.Now().Add(30 * time.Second))
	line := append(event.Bytes(), endline...)
	_, err := conn.sock.Write(line)
	conn.wmu.Unlock()

	if err != nil {
		conn.fail(err)
		return
	}
	if event.Command == QUIT {
		c.Close()
	}
}

// rate allows limiting events based on how frequent the event is being sent,
// as well as how many characters each event has.
func (c *ircConn) rate(chars int) time.Duration {
	_time := time.Second + ((time.Duration(chars) * time.Second) / 100)

	if c.writeDelay += _time - time.Since(c.lastWrite); c.writeDelay < 0 {
		c.writeDelay = 0
	}

	if c.writeDelay > (8 * time.Second) {
		return _time
	}

	return 0
}

// ErrTimedOut is aliased to TimedOutError.
//
// Deprecated: use TimedOutError instead.
type ErrTimedOut = TimedOutError //nolint:errname

// TimedOutError is returned when we attempt to ping the server, and timed out
// before receiving a PONG back.
type TimedOutError struct {
	// TimeSinceSuccess is how long ago we received a successful pong.
	TimeSinceSuccess time.Duration
	// LastPong is the time we received our last successful pong.
	LastPong time.Time
	// LastPong is the last time we sent a pong request.
	LastPing time.Time
	// Delay is the configured delay between how often we send a ping request.
	Delay time.Duration
}

func (TimedOutError) Error() string { return "timed out waiting for a requested PING response" }

// pingCheck runs every PingDelay while connected: it sends a PING, and ends the
// connection when the server has sent nothing for PingDelay+PingTimeout while we were
// waiting to read (spectrum2: upstream's pingLoop goroutine waited for a PONG, which on
// a loaded gateway queued behind the lines not yet read, so a busy connection timed out).
func (c *Client) pingCheck(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	c.mu.RLock()
	conn := c.conn
	c.mu.RUnlock()
	if conn == nil {
		return
	}

	// Delay during connect to wait for the client to register, otherwise
	// some ircd's will not respond (e.g. during SASL negotiation).
	conn.mu.RLock()
	defer conn.pingTimer.Reset(c.Config.PingDelay)
	registering := time.Since(conn.started) < c.registerGrace
	silent := conn.pingSent && !conn.busy && time.Since(conn.lastRead) > c.Config.PingDelay+c.Config.PingTimeout
	err := TimedOutError{
		TimeSinceSuccess: time.Since(conn.lastPong),
		LastPong:         conn.lastPong,
		LastPing:         conn.lastPing,
		Delay:            c.Config.PingDelay,
	}
	conn.mu.RUnlock()
	if registering {
		return
	}
	if silent {
		// PingTimeout exceeded, connection has probably dropped.
		conn.fail(err)
		return
	}

	conn.mu.Lock()
	conn.lastPing = time.Now()
	conn.pingSent = true
	conn.mu.Unlock()

	c.Cmd.Ping(strconv.FormatInt(time.Now().UnixNano(), 10))
}
