// Package redistest runs a redis-server of a test's own: on a free loopback
// port, with its files in a temporary directory, so that a test can stop,
// kill, freeze and restart it on the same port and data. The Redis store's
// tests and the load tests share it; it uses only the standard library, so
// the core module gains no dependency.
package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv names the environment variable that makes a missing
// redis-server a failure instead of a skip; CI sets it.
const RequireEnv = "FRESHTOKEN_REQUIRE_REDIS"

// WaitLimit bounds every wait for the server to start, stop or answer.
const WaitLimit = 15 * time.Second

// Server is a running (or stopped) redis-server. Its methods return errors
// rather than failing the test, so they may be called from any goroutine.
type Server struct {
	bin  string
	dir  string
	addr string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *bytes.Buffer
}

// Start starts redis-server with the given extra arguments (later ones win
// over the defaults: no snapshots, no append-only file, loopback only) and
// kills it when the test ends. It skips the test when the binary is
// missing, unless RequireEnv is set.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s is set but redis-server is not installed: %v", RequireEnv, err)
		}
		t.Skipf("redis-server not installed (set %s to make this a failure)", RequireEnv)
	}
	s := &Server{bin: bin, dir: t.TempDir(), args: args}
	t.Cleanup(func() {
		if err := s.Crash(); err != nil && err != errNotRunning {
			t.Error(err)
		}
	})
	var lastErr error
	for range 3 { // another process may take the free port before redis-server binds it
		if s.addr, lastErr = freeAddr(); lastErr != nil {
			break
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// AOFFiles lists the append-only files, to show that persistence is on.
func (s *Server) AOFFiles() []string {
	m, _ := filepath.Glob(filepath.Join(s.dir, "appendonlydir", "*"))
	return m
}

// Restart starts the server again on the same port and directory, so it
// reads back what it persisted, and waits until it answers.
func (s *Server) Restart() error { return s.start() }

// Stop shuts the server down as an operator would (SIGTERM: it writes its
// append-only file and exits) and waits for it to exit.
func (s *Server) Stop() error { return s.stopWith(syscall.SIGTERM) }

// Crash kills the server at once (SIGKILL), as a power cut would, and waits
// for it to exit.
func (s *Server) Crash() error { return s.stopWith(syscall.SIGKILL) }

// Pause freezes the server: the kernel still accepts connections but
// nothing answers, the worst case for a client. Resume undoes it.
func (s *Server) Pause() error  { return s.signal(syscall.SIGSTOP) }
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

var errNotRunning = fmt.Errorf("redis-server is not running")

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.addr)
	args := append([]string{
		"--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
	}, s.args...)
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

	deadline := time.Now().Add(WaitLimit)
	for {
		err := ping(s.addr)
		if err == nil {
			return nil
		}
		select {
		case <-done:
			s.mu.Lock()
			out := log.String()
			s.mu.Unlock()
			return fmt.Errorf("redis-server exited: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			_ = s.Crash()
			return fmt.Errorf("redis-server did not answer within %v: %v", WaitLimit, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping sends PING and wants PONG: a server still loading its data answers
// an error instead.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return errNotRunning
	}
	return cmd.Process.Signal(sig)
}

func (s *Server) stopWith(sig syscall.Signal) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return errNotRunning
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(WaitLimit):
		return fmt.Errorf("redis-server (pid %d) did not exit within %v of %v", cmd.Process.Pid, WaitLimit, sig)
	}
}

// Eventually polls f until it returns nil, failing the test if WaitLimit
// passes first.
func Eventually(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, WaitLimit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
