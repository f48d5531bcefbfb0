package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// requireRedis names the environment variable that makes a missing
// redis-server a failure instead of a skip; CI sets it.
const requireRedis = "FRESHTOKEN_REQUIRE_REDIS"

// waitLimit bounds every wait for redis-server to start or exit.
const waitLimit = 15 * time.Second

// redisServer is a redis-server of the test's own, on a free loopback port,
// with its files in a temporary directory, so that it can be killed and
// started again on the same port and data.
type redisServer struct {
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

// startRedis starts redis-server with the given extra arguments. It skips
// the test when the binary is missing, unless FRESHTOKEN_REQUIRE_REDIS is
// set.
func startRedis(t *testing.T, args ...string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(requireRedis) != "" {
			t.Fatalf("%s is set but redis-server is not installed: %v", requireRedis, err)
		}
		t.Skipf("redis-server not installed (set %s to make this a failure)", requireRedis)
	}
	s := &redisServer{t: t, bin: bin, dir: t.TempDir(), args: args}
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

// restart starts the server again on the same port and directory, so it
// reads back its append-only file.
func (s *redisServer) restart() error { return s.tryStart() }

func (s *redisServer) tryStart() error {
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
			s.mu.Lock()
			out := s.log.String()
			s.mu.Unlock()
			return fmt.Errorf("redis-server exited: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redis-server did not answer within %v: %v", waitLimit, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// crash kills the server at once (SIGKILL) and waits for it to exit: no
// shutdown, no last write, as when the process dies.
func (s *redisServer) crash() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("redis-server is not running")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(waitLimit):
		return fmt.Errorf("redis-server did not exit within %v of SIGKILL", waitLimit)
	}
}

// kill ends the server if it runs; it is the test's cleanup.
func (s *redisServer) kill() {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if !running {
		return
	}
	if err := s.crash(); err != nil {
		s.t.Error(err)
	}
}

// client returns a client for the server, closed when the test ends.
func (s *redisServer) client(opt redis.Options) *redis.Client {
	opt.Addr = s.addr
	c := redis.NewClient(&opt)
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}
