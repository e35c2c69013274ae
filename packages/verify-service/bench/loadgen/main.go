// Command loadgen: the verify service bench's low-cost load generator (bench/go-loadgen.mjs
// builds and runs it). It sends pre-signed check requests, one per line of a file, as
// POST /v1/checks on N keep-alive HTTP/1.1 connections, either closed-loop (each connection
// sends its next request when its answer arrives, as autocannon does) or open-loop at a rate
// (requests due at even intervals whatever the answers do, each waiting for a free connection;
// latency counted from the moment it was due, so a stalled server is charged for what it held
// back). It prints one JSON object. It runs on one OS thread for Go code (GOMAXPROCS 1) so that
// it takes as little as possible of the cores it shares with the server under test.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

type options struct {
	addr, path, bodies, timeline string
	first, cycle, connections    int
	seconds, rate                float64
}

type result struct {
	Mode        string         `json:"mode"`
	Connections int            `json:"connections"`
	OfferedRps  float64        `json:"offeredRps,omitempty"`
	Seconds     float64        `json:"seconds"`
	Rps         int            `json:"rps"`
	Requests    int            `json:"requests"`
	Non2xx      int            `json:"non2xx"`
	Statuses    map[string]int `json:"statuses,omitempty"`
	Errors      int            `json:"errors"`
	Latency     percentiles    `json:"latencyMs"`
	Service     *percentiles   `json:"sendToAnswerMs,omitempty"`
	SendLag     *percentiles   `json:"sendLagMs,omitempty"`
	Late        *percentiles   `json:"generatorLateMs,omitempty"`
	Sends       perMillisecond `json:"sendsPerMs"`
	Answers     perMillisecond `json:"answersPerMs"`
	CPU         float64        `json:"generatorCores"`
	BodiesUsed  int64          `json:"bodiesUsed"`
	Reused      int64          `json:"bodiesReused"`
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:4001", "host:port of the server")
	flag.StringVar(&o.path, "path", "/v1/checks", "request path")
	flag.StringVar(&o.bodies, "bodies", "", "file of request bodies, one per line")
	flag.IntVar(&o.first, "first", 0, "index of the first body to send")
	flag.IntVar(&o.cycle, "cycle", 0, "send bodies first..first+cycle-1 over and over (0: each once)")
	flag.IntVar(&o.connections, "connections", 100, "keep-alive connections")
	flag.Float64Var(&o.seconds, "seconds", 10, "length of the run")
	flag.Float64Var(&o.rate, "rate", 0, "requests a second, open loop (0: closed loop)")
	flag.StringVar(&o.timeline, "timeline", "", "write each millisecond's sends and answers to this CSV file")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	bodies, err := readBodies(o.bodies)
	if err != nil {
		return err
	}
	if o.first >= len(bodies) {
		return fmt.Errorf("-first %d is past the %d bodies in %s", o.first, len(bodies), o.bodies)
	}
	var reused int64
	body := func(i int64) []byte {
		if o.cycle > 0 {
			return bodies[o.first+int(i%int64(o.cycle))]
		}
		j := int64(o.first) + i
		if j >= int64(len(bodies)) {
			// Out of distinct bodies: reused ones (a service refuses them, seen as non-2xx).
			reused++
			j = int64(o.first) + (j-int64(o.first))%int64(len(bodies)-o.first)
		}
		return bodies[j]
	}
	l, err := newLoop(o.addr, o.path)
	if err != nil {
		return err
	}
	conns := make([]*conn, o.connections)
	for i := range conns {
		conns[i] = &conn{fd: -1, job: -1}
		if err := l.dial(conns[i]); err != nil {
			return err
		}
	}
	var r *result
	if o.rate > 0 {
		r, err = paced(o, l, conns, body)
	} else {
		r, err = closedLoop(o, l, conns, body)
	}
	if err != nil {
		return err
	}
	r.Reused = reused
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	return nil
}

func readBodies(path string) ([][]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("-bodies FILE is required")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bodies [][]byte
	for _, line := range bytes.Split(text, []byte("\n")) {
		if line = bytes.TrimRight(line, "\r"); len(line) > 0 {
			bodies = append(bodies, line)
		}
	}
	if len(bodies) == 0 {
		return nil, fmt.Errorf("%s holds no bodies", path)
	}
	return bodies, nil
}

// counts: the failed requests and the non-2xx answers by status.
type counts struct {
	non2xx   int
	errors   int
	statuses map[string]int
}

func (c *counts) add(status int) {
	if status == 0 {
		c.errors++
	} else if status < 200 || status > 299 {
		c.non2xx++
		c.statuses[strconv.Itoa(status)]++
	}
}

// bins counts events per millisecond since the start.
type bins []uint32

func newBins(seconds float64) bins { return make(bins, int(seconds*1000)+1) }

func (b bins) add(since time.Duration) {
	if i := int(since / time.Millisecond); i >= 0 && i < len(b) {
		b[i]++
	}
}

func cpuSeconds() float64 {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}

// closedLoop: each connection sends its next request as soon as its answer is read. Counted:
// the answers read within the run's length (autocannon's way), their latency from the send.
func closedLoop(o options, l *loop, conns []*conn, body func(int64) []byte) (*result, error) {
	var next int64
	c := counts{statuses: map[string]int{}}
	sends, answers := newBins(o.seconds), newBins(o.seconds)
	latencies := make([]int64, 0, 1<<16)
	length := time.Duration(o.seconds * float64(time.Second))
	sendNext := func(cn *conn) {
		sends.add(l.since())
		l.send(cn, next, body(next))
		next++
	}
	l.onAnswer = func(cn *conn, _ int64, status int, sentAt time.Duration) {
		answered := l.since()
		if answered > length {
			return
		}
		answers.add(answered)
		c.add(status)
		if status != 0 {
			latencies = append(latencies, int64(answered-sentAt))
		}
		if answered < length {
			sendNext(cn)
		}
	}
	cpu0 := cpuSeconds()
	l.start = time.Now()
	for _, cn := range conns {
		sendNext(cn)
	}
	for {
		left := length - l.since()
		if left <= 0 {
			break
		}
		l.wait(int(left/time.Millisecond)+1, nil)
	}
	cpu := cpuSeconds() - cpu0
	requests := len(latencies) + c.errors
	return &result{
		Mode: "closed", Connections: len(conns), Seconds: o.seconds,
		Rps:      int(math.Round(float64(requests) / length.Seconds())),
		Requests: requests, Non2xx: c.non2xx, Errors: c.errors, Statuses: c.statuses,
		Latency: latencyPercentiles(latencies),
		Sends:   perMsDistribution(sends), Answers: perMsDistribution(answers),
		CPU: math.Round(cpu/length.Seconds()*100) / 100, BodiesUsed: next,
	}, writeTimeline(o.timeline, sends, answers)
}

// paced: rate x seconds requests, request i due at start + i/rate, handed in order to a free
// connection (the one freed last first, as node:http's agent does). Latency runs from the due
// time; kept apart: the send-to-answer time, the send lag (due to written: the generator late,
// or every connection busy) and the generator's own lateness (due to the tick that released
// it: its clock and loop alone), so a tail the generator made is told from one the server made.
func paced(o options, l *loop, conns []*conn, body func(int64) []byte) (*result, error) {
	total := int64(math.Round(o.rate * o.seconds))
	period := int64(math.Round(1e9 / o.rate))
	latency := make([]int64, total)
	lag := make([]int64, total)
	late := make([]int64, total)
	service := make([]int64, total)
	for i := range latency {
		latency[i], lag[i], late[i], service[i] = -1, -1, -1, -1
	}
	c := counts{statuses: map[string]int{}}
	// Longer than the run: answers after the last due time still count.
	sends, answers := newBins(o.seconds+60), newBins(o.seconds+60)
	due := func(i int64) time.Duration { return time.Duration(i * period) }
	free := append([]*conn(nil), conns...)
	var released, assigned, done int64
	assign := func() {
		for assigned < released && len(free) > 0 {
			cn := free[len(free)-1]
			free = free[:len(free)-1]
			sent := l.since()
			sends.add(sent)
			lag[assigned] = int64(sent - due(assigned))
			l.send(cn, assigned, body(assigned))
			assigned++
		}
	}
	l.onAnswer = func(cn *conn, job int64, status int, sentAt time.Duration) {
		answered := l.since()
		answers.add(answered)
		c.add(status)
		if status >= 200 && status <= 299 {
			latency[job] = int64(answered - due(job))
			service[job] = int64(answered - sentAt)
		}
		done++
		free = append(free, cn)
		assign()
	}
	cpu0 := cpuSeconds()
	l.start = time.Now()
	if err := l.startTimer(period); err != nil {
		return nil, err
	}
	released, late[0] = 1, 0
	assign()
	onTick := func(n uint64) {
		now := l.since()
		for i := released; i < min(total, released+int64(n)); i++ {
			late[i] = int64(now - due(i))
		}
		released = min(total, released+int64(n))
		if released == total {
			l.stopTimer()
		}
		assign()
	}
	lastDue := due(total - 1)
	for done < total {
		if l.since() > lastDue+60*time.Second {
			// Never answered: failed requests.
			for ; done < total; done++ {
				c.errors++
			}
			break
		}
		l.wait(100, onTick)
	}
	wall := l.since()
	cpu := cpuSeconds() - cpu0
	s, g, k := latencyPercentiles(service), latencyPercentiles(lag), latencyPercentiles(late)
	last := int(lastDue/time.Millisecond) + 1
	return &result{
		Mode: "paced", Connections: len(conns), OfferedRps: o.rate, Seconds: o.seconds,
		Rps:      int(math.Round(float64(total) / wall.Seconds())),
		Requests: int(total), Non2xx: c.non2xx, Errors: c.errors, Statuses: c.statuses,
		Latency: latencyPercentiles(latency), Service: &s, SendLag: &g, Late: &k,
		Sends: perMsDistribution(sends[:last]), Answers: perMsDistribution(answers[:last]),
		CPU: math.Round(cpu/wall.Seconds()*100) / 100, BodiesUsed: total,
	}, writeTimeline(o.timeline, sends[:last], answers[:last])
}

func writeTimeline(path string, sends, answers bins) error {
	if path == "" {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("ms,sent,answered\n")
	for i := range sends {
		fmt.Fprintf(&b, "%d,%d,%d\n", i, sends[i], answers[i])
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
