package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// This file keeps the local view exact: one connection to every master,
// on which Redis broadcasts the name of every revoked or cutoff key it
// writes (CLIENT TRACKING ON BCAST with the store's two prefixes), and a
// heartbeat on each that fences the view.
//
// # Why the fence holds
//
// Redis writes to one connection in order. A write's broadcast invalidation
// is queued for the tracking connections before Redis sends any reply in
// the same turn of its event loop (beforeSleep broadcasts, then flushes the
// replies), so before the writer learns that its write is done. A heartbeat
// (ROLE) that this process sends after that moment is read by Redis later,
// and its reply is queued behind the invalidation. One goroutine reads each
// tracking connection in order and applies every invalidation to the view
// before it records the heartbeat's reply. So when a heartbeat sent at S has
// been answered, every revocation that had returned to its caller, on any
// instance, before S is in the view: the view is exact as of S.
//
// The view answers only while every master's latest answered heartbeat was
// sent less than the fence ago. Otherwise, for whatever reason (a dead or
// stalled connection, a paused Redis, a partition the kernel has not
// noticed, a master not yet tracked), the lookup goes to Redis like a store
// without a view, and fails like one when Redis is down. A revocation is
// therefore honoured by every instance no later than the fence after it
// returned, and in practice as soon as the invalidation arrives.
//
// A tracking connection that was lost may have lost invalidations with it.
// Every new connection turns tracking on first and then empties the view,
// whose generations move so that a lookup that read Redis before cannot
// write into it; only then do its heartbeats count.
//
// The heartbeat is ROLE rather than PING so that a master demoted to a
// replica (failover) stops vouching at once: a replica's invalidations
// trail its master's writes by the replication lag, which nothing bounds.
// On Redis Cluster the set of masters is the client's own (ForEachMaster,
// read again every topologyEvery and whenever a node fails), so the view
// follows the same nodes as the round trips it replaces.

const (
	// topologyEvery is how often the cluster's masters are listed again.
	topologyEvery = time.Second
	// viewClientName names the tracking connections in CLIENT LIST.
	viewClientName = "freshtoken-view"
)

// node is the tracking connection to one master.
type node struct {
	addr string
	opt  *redis.Options
	// acked is when the latest answered heartbeat was sent, in nanoseconds
	// since the tracker's start (monotonic); 0: none on this connection.
	acked atomic.Int64
	stop  chan struct{}
	done  chan struct{}

	mu   sync.Mutex
	conn net.Conn // the current connection, to close on stop
}

// tracker runs the tracking connections of a Store's view.
type tracker struct {
	view     *view
	prefix   string
	fence    time.Duration
	interval time.Duration // between heartbeats
	masters  func(ctx context.Context) ([]*redis.Options, error)
	dial     func(ctx context.Context, opt *redis.Options) (net.Conn, error)
	start    time.Time

	nodes   atomic.Pointer[[]*node] // every master the view must hear from
	refresh chan struct{}           // asks for the masters to be listed again
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	closed  atomic.Bool
}

func newTracker(v *view, prefix string, fence time.Duration, masters func(context.Context) ([]*redis.Options, error),
	dial func(context.Context, *redis.Options) (net.Conn, error)) *tracker {
	t := &tracker{
		view: v, prefix: prefix, fence: fence, interval: fence / 5,
		masters: masters, dial: dial, start: time.Now(),
		refresh: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	empty := []*node{}
	t.nodes.Store(&empty)
	t.wg.Add(1)
	go t.watchTopology()
	return t
}

func (t *tracker) since() int64 { return int64(time.Since(t.start)) }

// vouch returns the send time of the oldest latest heartbeat of all masters
// (monotonic ns since start), and whether it is recent enough for the view
// to answer.
func (t *tracker) vouch() (int64, bool) {
	nodes := *t.nodes.Load()
	if len(nodes) == 0 || t.closed.Load() {
		return 0, false
	}
	oldest := int64(-1)
	for _, n := range nodes {
		a := n.acked.Load()
		if a == 0 {
			return 0, false
		}
		if oldest < 0 || a < oldest {
			oldest = a
		}
	}
	return oldest, t.since()-oldest <= int64(t.fence)
}

func (t *tracker) close() {
	t.closed.Store(true)
	empty := []*node{}
	t.nodes.Store(&empty)
	close(t.stop)
	t.wg.Wait()
}

// watchTopology keeps one node per master, listing them at start, every
// topologyEvery and when a node asks.
func (t *tracker) watchTopology() {
	defer t.wg.Done()
	byAddr := map[string]*node{}
	defer func() {
		for _, n := range byAddr {
			n.halt()
		}
	}()
	tick := time.NewTicker(topologyEvery)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), topologyEvery)
		opts, err := t.masters(ctx)
		cancel()
		if err == nil {
			t.update(byAddr, opts)
		}
		select {
		case <-t.stop:
			return
		case <-tick.C:
		case <-t.refresh:
		}
	}
}

// update starts a node for each new master and stops those that are no
// longer masters. A new node is published at once, with no heartbeat, so
// the view stops answering until it has one.
func (t *tracker) update(byAddr map[string]*node, opts []*redis.Options) {
	seen := map[string]bool{}
	changed := false
	for _, opt := range opts {
		seen[opt.Addr] = true
		if byAddr[opt.Addr] == nil {
			n := &node{addr: opt.Addr, opt: opt, stop: make(chan struct{}), done: make(chan struct{})}
			byAddr[opt.Addr] = n
			changed = true
			go t.run(n)
		}
	}
	for addr, n := range byAddr {
		if !seen[addr] {
			delete(byAddr, addr)
			changed = true
			n.halt()
		}
	}
	if changed {
		list := make([]*node, 0, len(byAddr))
		for _, n := range byAddr {
			list = append(list, n)
		}
		t.nodes.Store(&list)
	}
}

func (t *tracker) askRefresh() {
	select {
	case t.refresh <- struct{}{}:
	default:
	}
}

func (n *node) halt() {
	close(n.stop)
	n.mu.Lock()
	if n.conn != nil {
		_ = n.conn.Close()
	}
	n.mu.Unlock()
	<-n.done
}

// run keeps a tracking connection to n open until n is stopped, making a
// new one after each failure.
func (t *tracker) run(n *node) {
	defer close(n.done)
	backoff := 50 * time.Millisecond
	for {
		err := t.session(n)
		n.acked.Store(0)
		t.askRefresh()
		_ = err // the lookups fall back to Redis; a new connection follows
		select {
		case <-n.stop:
			return
		case <-time.After(backoff):
		}
		if backoff < time.Second {
			backoff *= 2
		}
	}
}

// session runs one tracking connection: the handshake, then heartbeats
// until the connection fails or the node stops.
func (t *tracker) session(n *node) error {
	conn, rd, err := t.connect(n)
	if err != nil {
		return err
	}
	// Tracking is on: from here every write is announced on conn. What the
	// view holds from before may have missed some.
	t.view.reset()

	sent := make(chan int64, 64) // heartbeats' send times, in order
	readErr := make(chan error, 1)
	go func() { readErr <- t.read(n, rd, sent) }()
	readDone, err := t.heartbeats(n, conn, sent, readErr)
	_ = conn.Close()
	if !readDone {
		<-readErr // the reader has stopped: no heartbeat counts after this
	}
	return err
}

// connect dials n and turns tracking on; the connection is n's current
// one from then on, which stopping the node closes. The dial and the
// handshake share one deadline, and the credentials provider sees it.
func (t *tracker) connect(n *node) (net.Conn, *bufio.Reader, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout(n.opt))
	defer cancel()
	conn, err := t.dial(ctx, n.opt)
	if err != nil {
		return nil, nil, err
	}
	n.mu.Lock()
	select {
	case <-n.stop:
		n.mu.Unlock()
		_ = conn.Close()
		return nil, nil, errors.New("stopped")
	default:
	}
	n.conn = conn
	n.mu.Unlock()
	rd := bufio.NewReader(conn)
	if err := t.handshake(ctx, conn, rd, n.opt); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, rd, nil
}

// heartbeats sends a heartbeat on conn every interval, each send time
// also to sent for the reader, until the node stops, the reader fails
// (readDone: its error is the one returned) or a heartbeat goes
// unanswered for too long.
func (t *tracker) heartbeats(n *node, conn net.Conn, sent chan<- int64, readErr <-chan error) (readDone bool, err error) {
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	var pending []int64 // also in sent; kept here to see the oldest
	heartbeat := []byte("*1\r\n$4\r\nROLE\r\n")
	for {
		select {
		case <-n.stop:
			return false, errors.New("stopped")
		case err := <-readErr:
			return true, err
		case <-tick.C:
		}
		now := t.since()
		// A heartbeat unanswered for long means a dead or frozen peer: the
		// fence closed long ago; start over with a new connection.
		for len(pending) > 0 && pending[0] <= n.acked.Load() {
			pending = pending[1:]
		}
		if len(pending) > 0 && time.Duration(now-pending[0]) > stallLimit(t.fence) {
			return false, errors.New("heartbeat unanswered")
		}
		if len(sent) == cap(sent) {
			continue // the reader is behind; the fence will say so
		}
		sent <- now
		pending = append(pending, now)
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write(heartbeat); err != nil {
			return false, err
		}
	}
}

// stallLimit is how long a heartbeat may go unanswered before the
// connection is given up for a new one.
func stallLimit(fence time.Duration) time.Duration { return max(time.Second, 10*fence) }

func dialTimeout(opt *redis.Options) time.Duration {
	if opt.DialTimeout > 0 {
		return opt.DialTimeout
	}
	return 5 * time.Second
}

// handshake switches conn to RESP3, authenticates as the client does and
// turns broadcast tracking on for the store's revoked keys and cutoffs.
func (t *tracker) handshake(ctx context.Context, conn net.Conn, rd *bufio.Reader, opt *redis.Options) error {
	user, pass := opt.Username, opt.Password
	switch {
	case opt.CredentialsProviderContext != nil:
		var err error
		if user, pass, err = opt.CredentialsProviderContext(ctx); err != nil {
			return err
		}
	case opt.CredentialsProvider != nil:
		user, pass = opt.CredentialsProvider()
	}
	hello := []string{"HELLO", "3"}
	if pass != "" {
		if user == "" {
			user = "default"
		}
		hello = append(hello, "AUTH", user, pass)
	}
	hello = append(hello, "SETNAME", viewClientName)
	track := []string{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", t.prefix + "r:", "PREFIX", t.prefix + "c:"}
	_ = conn.SetDeadline(time.Now().Add(dialTimeout(opt)))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(append(command(hello), command(track)...)); err != nil {
		return err
	}
	for _, what := range []string{"HELLO", "CLIENT TRACKING"} {
		v, err := readValue(rd)
		if err != nil {
			return err
		}
		if v.kind == '-' || v.kind == '!' {
			return fmt.Errorf("redisstore: local view: %s: %s", what, v.str)
		}
	}
	return nil
}

// read reads conn in order until it fails: it applies invalidations to
// the view and, for each heartbeat's answer, records when it was sent.
func (t *tracker) read(n *node, rd *bufio.Reader, sent <-chan int64) error {
	for {
		v, err := readValue(rd)
		if err != nil {
			return err
		}
		if v.kind == '>' {
			t.invalidate(v)
			continue
		}
		var at int64
		select {
		case at = <-sent:
		default:
			return errors.New("redisstore: local view: a reply nobody asked for")
		}
		// ["master", offset, replicas] from a master; anything else (a
		// replica, an error) must not vouch for the view.
		if v.kind != '*' || len(v.arr) == 0 || v.arr[0].str != "master" {
			t.askRefresh()
			return fmt.Errorf("redisstore: local view: %s is no longer a master", n.addr)
		}
		n.acked.Store(at)
	}
}

// invalidate applies a push message ["invalidate", keys]; keys is null
// when Redis was flushed.
func (t *tracker) invalidate(v value) {
	if len(v.arr) < 2 || v.arr[0].str != "invalidate" {
		return // another push (none is asked for); not an invalidation
	}
	keys := v.arr[1]
	if keys.kind == '_' || (keys.kind == '*' && keys.arr == nil) {
		t.view.reset()
		return
	}
	for _, k := range keys.arr {
		t.view.invalidations.Add(1)
		rest, ok := strings.CutPrefix(k.str, t.prefix)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "r:{") && strings.HasSuffix(rest, "}"):
			t.view.forgetRevoked(unescaper.Replace(rest[3 : len(rest)-1]))
		case strings.HasPrefix(rest, "c:{") && strings.HasSuffix(rest, "}"):
			t.view.forgetCutoff(unescaper.Replace(rest[3 : len(rest)-1]))
		}
	}
}

var unescaper = strings.NewReplacer("%25", "%", "%7B", "{", "%7D", "}")

// command writes args as a RESP array of bulk strings.
func command(args []string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// value is one RESP3 value, as far as the tracking connection needs: the
// type byte, the text of strings, numbers and errors, and the elements of
// aggregates (maps flattened).
type value struct {
	kind byte
	str  string
	arr  []value
}

// maxBulk bounds a string the tracking connection accepts: key names.
const maxBulk = 64 << 20

// readValue reads one RESP3 value. Attributes ('|') are read and dropped.
func readValue(rd *bufio.Reader) (value, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return value{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return value{}, fmt.Errorf("redisstore: local view: bad RESP line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':', ',', '#', '(':
		return value{kind: kind, str: body}, nil
	case '_':
		return value{kind: kind}, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxBulk {
			return value{}, fmt.Errorf("redisstore: local view: bad length %q", body)
		}
		if n < 0 {
			return value{kind: '_'}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return value{}, err
		}
		return value{kind: kind, str: string(buf[:n])}, nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil || n > 1<<20 {
			return value{}, fmt.Errorf("redisstore: local view: bad length %q", body)
		}
		if n < 0 {
			return value{kind: '_'}, nil
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		v := value{kind: kind, arr: make([]value, n)}
		for i := range v.arr {
			if v.arr[i], err = readValue(rd); err != nil {
				return value{}, err
			}
		}
		if kind == '|' {
			return readValue(rd) // the value the attribute was about
		}
		return v, nil
	}
	return value{}, fmt.Errorf("redisstore: local view: unknown RESP type %q", kind)
}
