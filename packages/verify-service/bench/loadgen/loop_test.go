package main

import (
	"net"
	"testing"
	"time"
)

func TestAnAnswerWithNoRequestInFlightClosesTheConnection(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		server, err := listener.Accept()
		if err != nil {
			return
		}
		// An idle keep-alive connection timed out by the server: a 408 nobody asked for.
		server.Write([]byte("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
		time.Sleep(200 * time.Millisecond)
		server.Close()
	}()
	l, err := newLoop(listener.Addr().String(), "/v1/checks")
	if err != nil {
		t.Fatal(err)
	}
	answers := 0
	l.onAnswer = func(*conn, int64, int, time.Duration) { answers++ }
	c := &conn{fd: -1, job: -1}
	if err := l.dial(c); err != nil {
		t.Fatal(err)
	}
	l.start = time.Now()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline) && c.fd >= 0; {
		l.wait(50, nil)
	}
	if answers != 0 || c.fd != -1 {
		t.Fatalf("answers %d, fd %d: want no answer counted and the connection closed", answers, c.fd)
	}
}
