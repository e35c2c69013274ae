package main

// `go test` in bench/loadgen (not part of `pnpm test`: CI needs no Go).

import "testing"

func TestParseAnswerFindsTheEndOfAContentLengthAnswer(t *testing.T) {
	whole := "HTTP/1.1 200 OK\r\nContent-Type: application/jose\r\nContent-Length: 5\r\n\r\nhello"
	for cut := 0; cut < len(whole); cut++ {
		a, err := parseAnswer([]byte(whole[:cut]))
		if err != nil || a.length != 0 {
			t.Fatalf("a part of %d bytes: %+v %v, want incomplete", cut, a, err)
		}
	}
	a, err := parseAnswer([]byte(whole + "HTTP/1.1"))
	if err != nil || a.status != 200 || a.length != len(whole) || a.closeAfter {
		t.Fatalf("whole: %+v %v", a, err)
	}
}

func TestParseAnswerReadsAChunkedAnswerAndConnectionClose(t *testing.T) {
	whole := "HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n4\r\nabcd\r\n2;x=y\r\nef\r\n0\r\n\r\n"
	for cut := 0; cut < len(whole); cut++ {
		if a, err := parseAnswer([]byte(whole[:cut])); err != nil || a.length != 0 {
			t.Fatalf("a part of %d bytes: %+v %v, want incomplete", cut, a, err)
		}
	}
	a, err := parseAnswer([]byte(whole))
	if err != nil || a.status != 429 || a.length != len(whole) || !a.closeAfter {
		t.Fatalf("whole: %+v %v", a, err)
	}
}

func TestParseAnswerRefusesWhatIsNotAnHTTPAnswer(t *testing.T) {
	for _, text := range []string{
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n", // no length: a body to the connection's end
	} {
		if _, err := parseAnswer([]byte(text)); err != errBadResponse {
			t.Fatalf("%q: %v, want errBadResponse", text, err)
		}
	}
}
