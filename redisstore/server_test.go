package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// requireRedis names the environment variable that makes a missing
// redis-server a failure instead of a skip; CI sets it.
const requireRedis = "FRESHTOKEN_REQUIRE_REDIS"

// waitLimit bounds every wait for the server to start, stop or answer.
const waitLimit = 15 * time.Second

// server is a redis-server of this test's own, on a free loopback port,
// with its files in a temporary directory.
type server struct {
	t    *testing.T
	bin  string
	dir  string
	addr string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *bytes.Buffer
}

// startServer starts redis-server with the given extra arguments. It skips
// the test when the binary is missing, unless FRESHTOKEN_REQUIRE_REDIS is set.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(requireRedis) != "" {
			t.Fatalf("%s is set but redis-server is not installed: %v", requireRedis, err)
		}
		t.Skipf("redis-server not installed (set %s to make this a failure)", requireRedis)
	}
	s := &server{t: t, bin: bin, dir: t.TempDir(), args: args}
	t.Cleanup(s.kill)
	var lastErr error
	for range 3 { // another process may take the free port before redis-server binds it
		s.addr = freeAddr(t)
		if lastErr = s.tryStart(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start starts the server again, on the same port and directory.
func (s *server) start() {
	s.t.Helper()
	if err := s.tryStart(); err != nil {
		s.t.Fatalf("restarting redis-server: %v", err)
	}
}

func (s *server) tryStart() error {
	_, port, _ := net.SplitHostPort(s.addr)
	args := append([]string{
		"--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
	}, s.args...) // later arguments win
	cmd := exec.Command(s.bin, args...)
	log := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done, s.log = cmd, done, log
	s.mu.Unlock()

	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(waitLimit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server exited: %s", s.output())
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redis-server did not answer within %v: %v", waitLimit, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// signal sends sig to the running server.
func (s *server) signal(sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.t.Fatal("redis-server is not running")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// stop shuts the server down as an operator would (SIGTERM: it writes its
// append-only file and exits) and waits for it to exit.
func (s *server) stop() { s.stopWith(syscall.SIGTERM) }

// crash kills the server at once, as a power cut would.
func (s *server) crash() { s.stopWith(syscall.SIGKILL) }

func (s *server) stopWith(sig syscall.Signal) {
	s.t.Helper()
	s.signal(sig)
	select {
	case <-s.done:
	case <-time.After(waitLimit):
		s.t.Fatalf("redis-server did not exit within %v after %v", waitLimit, sig)
	}
	s.mu.Lock()
	s.cmd = nil
	s.mu.Unlock()
}

// pause freezes the server: connections are accepted by the kernel but
// nothing answers, the worst case for a client.
func (s *server) pause()  { s.signal(syscall.SIGSTOP) }
func (s *server) resume() { s.signal(syscall.SIGCONT) }

// kill ends the server if it runs; it is the test's cleanup.
func (s *server) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(waitLimit):
		s.t.Errorf("redis-server (pid %d) did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// client returns a client for the server with the given options (Addr is
// filled in), closed when the test ends.
func (s *server) client(opt redis.Options) *redis.Client {
	opt.Addr = s.addr
	c := redis.NewClient(&opt)
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// aofFiles lists the append-only files, to show persistence is on.
func (s *server) aofFiles() []string {
	m, _ := filepath.Glob(filepath.Join(s.dir, "appendonlydir", "*"))
	return m
}

// eventually polls f until it returns nil or the wait limit passes.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, waitLimit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
