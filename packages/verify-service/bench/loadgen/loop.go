package main

// One thread, one epoll set, raw system calls: every connection is a small state machine (a
// request being written, an answer being read), and the paced load's clock is a timerfd in the
// same set, so requests fall due at even intervals finer than Go's timers (which wake in whole
// milliseconds) without a spinning thread. The Go runtime's scheduler and network poller are not
// used: per request the generator makes a write, a read and its share of one epoll_pwait.
// Linux only.

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

type conn struct {
	fd      int
	out     []byte // the request being written
	written int
	in      []byte // what has been read of the answer
	have    int
	job     int64 // the request in flight (-1: none)
	sentAt  time.Duration
	writing bool // waiting for EPOLLOUT
}

type loop struct {
	epfd    int
	addr    syscall.SockaddrInet4
	head    []byte // request line and headers up to the Content-Length value
	byFd    map[int]*conn
	timerFd int
	start   time.Time
	events  [512]syscall.EpollEvent
	// Called with the connection, the request, its status (0: failed) and the time it was sent.
	onAnswer func(c *conn, job int64, status int, sentAt time.Duration)
}

func newLoop(addr, path string) (*loop, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host).To4()
	port, err := strconv.Atoi(portText)
	if ip == nil || err != nil {
		return nil, fmt.Errorf("-addr must be IPv4 host:port, not %q", addr)
	}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	l := &loop{epfd: epfd, byFd: map[int]*conn{}, timerFd: -1}
	l.addr.Port = port
	copy(l.addr.Addr[:], ip)
	l.head = []byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/jose\r\nConnection: keep-alive\r\nContent-Length: ", path, addr))
	return l, nil
}

func (l *loop) since() time.Duration { return time.Since(l.start) }

// dial opens a connection (a blocking connect, then non-blocking for the loop).
func (l *loop) dial(c *conn) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if err = syscall.Connect(fd, &l.addr); err != nil {
		syscall.Close(fd)
		return err
	}
	if err = syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	event := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &event); err != nil {
		syscall.Close(fd)
		return err
	}
	c.fd, c.have, c.writing = fd, 0, false
	if c.in == nil {
		c.in = make([]byte, 16<<10)
		c.out = make([]byte, 0, 4096)
	}
	l.byFd[fd] = c
	return nil
}

func (l *loop) closeConn(c *conn) {
	if c.fd >= 0 {
		delete(l.byFd, c.fd)
		syscall.Close(c.fd)
		c.fd = -1
	}
}

// send writes request `job` (headers and body in one write, as node:http does for a small body).
func (l *loop) send(c *conn, job int64, body []byte) {
	c.job, c.sentAt = job, l.since()
	if c.fd < 0 {
		if err := l.dial(c); err != nil {
			l.fail(c)
			return
		}
	}
	r := append(c.out[:0], l.head...)
	r = strconv.AppendInt(r, int64(len(body)), 10)
	r = append(r, "\r\n\r\n"...)
	c.out = append(r, body...)
	c.written = 0
	l.write(c)
}

func (l *loop) write(c *conn) {
	for c.written < len(c.out) {
		n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(c.fd),
			uintptr(unsafe.Pointer(&c.out[c.written])), uintptr(len(c.out)-c.written))
		if errno == syscall.EAGAIN {
			if !c.writing {
				c.writing = true
				l.watch(c, syscall.EPOLLIN|syscall.EPOLLOUT)
			}
			return
		}
		if errno != 0 {
			l.fail(c)
			return
		}
		c.written += int(n)
	}
	if c.writing {
		c.writing = false
		l.watch(c, syscall.EPOLLIN)
	}
}

func (l *loop) watch(c *conn, events uint32) {
	event := syscall.EpollEvent{Events: events, Fd: int32(c.fd)}
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, c.fd, &event)
}

// fail ends the request in flight as an error; the next send dials anew.
func (l *loop) fail(c *conn) {
	l.closeConn(c)
	if job := c.job; job >= 0 {
		c.job = -1
		l.onAnswer(c, job, 0, c.sentAt)
	}
}

func (l *loop) read(c *conn) {
	if c.have == len(c.in) {
		c.in = append(c.in, make([]byte, len(c.in))...)
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(c.fd),
		uintptr(unsafe.Pointer(&c.in[c.have])), uintptr(len(c.in)-c.have))
	if errno == syscall.EAGAIN {
		return
	}
	if errno != 0 || n == 0 {
		l.fail(c)
		return
	}
	c.have += int(n)
	a, err := parseAnswer(c.in[:c.have])
	if err != nil {
		l.fail(c)
		return
	}
	if a.length == 0 {
		return
	}
	c.have = copy(c.in, c.in[a.length:c.have])
	if a.closeAfter || c.job < 0 {
		// An answer nobody asked for (a server's 408 on an idle connection): not a request's;
		// the connection is closed and the next send dials anew.
		l.closeConn(c)
	}
	if c.job < 0 {
		return
	}
	job := c.job
	c.job = -1
	l.onAnswer(c, job, a.status, c.sentAt)
}

// startTimer arms a periodic timerfd in the set: wait reports its expirations to onTick.
func (l *loop) startTimer(periodNs int64) error {
	const clockMonotonic, tfdNonblock, tfdCloexec = 1, 0x800, 0x80000
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return errno
	}
	spec := [4]int64{periodNs / 1e9, periodNs % 1e9, periodNs / 1e9, periodNs % 1e9}
	if _, _, errno = syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		syscall.Close(int(fd))
		return errno
	}
	event := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, int(fd), &event); err != nil {
		return err
	}
	l.timerFd = int(fd)
	return nil
}

func (l *loop) stopTimer() {
	if l.timerFd >= 0 {
		syscall.Close(l.timerFd)
		l.timerFd = -1
	}
}

// wait handles what is ready within timeoutMs; onTick gets the timer's expirations.
func (l *loop) wait(timeoutMs int, onTick func(uint64)) {
	// A raw call: the runtime is not told the thread blocks, so no other thread takes over
	// (GOMAXPROCS 1, nothing else to run); a preemption signal ends it early with EINTR.
	n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.epfd),
		uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)), uintptr(timeoutMs), 0, 0)
	if errno != 0 {
		return
	}
	for _, event := range l.events[:n] {
		fd := int(event.Fd)
		if fd == l.timerFd {
			var buf [8]byte
			if _, err := syscall.Read(fd, buf[:]); err == nil {
				onTick(binary.LittleEndian.Uint64(buf[:]))
			}
			continue
		}
		c := l.byFd[fd]
		if c == nil {
			continue
		}
		if event.Events&syscall.EPOLLOUT != 0 {
			l.write(c)
		}
		if c.fd == fd && event.Events&(syscall.EPOLLIN|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
			l.read(c)
		}
	}
}
