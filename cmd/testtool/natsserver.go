package testtool

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// NATSServer is Debian's nats-server (or one on PATH; see Require) run by
// a test on a loopback port that stays its own across Kill and Restart, so
// that clients configured with URL find it again.
type NATSServer struct {
	// URL is the client URL, nats://127.0.0.1:port.
	URL string

	t    testing.TB
	bin  string
	addr string

	mu     sync.Mutex
	cancel context.CancelFunc
	exited chan error   // the running process's Wait; nil when none runs
	out    bytes.Buffer // every run's output, for failure messages
}

// StartNATSServer runs nats-server on a free loopback port and waits up to
// 10 s until it greets a client. It is killed when the test ends. Call it
// from the test's goroutine.
func StartNATSServer(t testing.TB) *NATSServer {
	t.Helper()
	bin := Require(t, "nats-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // a small window in which another process could take it
	s := &NATSServer{URL: "nats://" + addr, t: t, bin: bin, addr: addr}
	t.Cleanup(s.Kill)
	s.Restart()
	return s
}

// Kill ends the server with SIGKILL (no goodbye to its clients, as a
// crash) and waits for the process to exit. Killing a stopped server does
// nothing.
func (s *NATSServer) Kill() {
	s.mu.Lock()
	cancel, exited := s.cancel, s.exited
	s.exited = nil
	s.mu.Unlock()
	if exited == nil {
		return
	}
	cancel() // exec.CommandContext kills with SIGKILL
	<-exited
}

// Restart starts the server again on its port (or for the first time)
// and waits until it greets a client; the test fails if it cannot.
func (s *NATSServer) Restart() {
	s.t.Helper()
	s.Kill()
	host, port, _ := net.SplitHostPort(s.addr)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, s.bin, "-a", host, "-p", port, "-n", "pulseboard-test")
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.out}, &lockedWriter{mu: &s.mu, w: &s.out}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		s.t.Fatalf("starting %s: %v", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.mu.Lock()
	s.cancel, s.exited = cancel, exited
	s.mu.Unlock()

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !greets(s.addr) {
		select {
		case err := <-exited:
			exited <- err
			s.t.Fatalf("nats-server exited: %v\n%s", err, s.Output())
		case <-deadline:
			s.t.Fatalf("nats-server on %s did not greet within 10s\n%s", s.addr, s.Output())
		case <-tick.C:
		}
	}
}

// Output is what the server wrote, all runs together.
func (s *NATSServer) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// greets reports whether a NATS server at addr sends its INFO line.
func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "INFO ")
}

// lockedWriter writes to w under mu: the process's two pipes are copied
// on two goroutines.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
