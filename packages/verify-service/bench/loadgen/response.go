package main

// Where an HTTP/1.1 answer ends in the bytes read so far: its status, its length (headers and
// body, Content-Length or chunked), and whether the server closes the connection after it.

import (
	"bytes"
	"errors"
	"strconv"
)

var errBadResponse = errors.New("malformed HTTP response")

type answer struct {
	status     int
	length     int // 0: not all read yet
	closeAfter bool
}

func parseAnswer(b []byte) (answer, error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > 64<<10 {
			return answer{}, errBadResponse
		}
		return answer{}, nil
	}
	head := b[:end]
	line, fields := head, []byte(nil)
	if lineEnd := bytes.IndexByte(head, '\n'); lineEnd >= 0 {
		line, fields = head[:lineEnd], head[lineEnd+1:]
	}
	line = bytes.TrimRight(line, "\r")
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return answer{}, errBadResponse
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return answer{}, errBadResponse
	}
	a := answer{status: status}
	contentLength, chunked := -1, false
	for _, field := range bytes.Split(fields, []byte("\r\n")) {
		colon := bytes.IndexByte(field, ':')
		if colon < 0 {
			continue
		}
		name, value := field[:colon], bytes.TrimSpace(field[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("content-length")):
			if contentLength, err = strconv.Atoi(string(value)); err != nil {
				return answer{}, errBadResponse
			}
		case bytes.EqualFold(name, []byte("transfer-encoding")):
			chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		case bytes.EqualFold(name, []byte("connection")):
			a.closeAfter = bytes.EqualFold(value, []byte("close"))
		}
	}
	bodyStart := end + 4
	switch {
	case chunked:
		n, err := chunkedLength(b[bodyStart:])
		if err != nil || n == 0 {
			return answer{}, err
		}
		a.length = bodyStart + n
	case contentLength >= 0:
		if len(b) < bodyStart+contentLength {
			return answer{}, nil
		}
		a.length = bodyStart + contentLength
	default:
		return answer{}, errBadResponse // a body that runs to the connection's end: not expected
	}
	return a, nil
}

// chunkedLength: the length of a whole chunked body at the start of b, or 0 if not all read.
func chunkedLength(b []byte) (int, error) {
	at := 0
	for {
		lineEnd := bytes.Index(b[at:], []byte("\r\n"))
		if lineEnd < 0 {
			return 0, nil
		}
		sizeText := b[at : at+lineEnd]
		if semi := bytes.IndexByte(sizeText, ';'); semi >= 0 {
			sizeText = sizeText[:semi]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 32)
		if err != nil {
			return 0, errBadResponse
		}
		at += lineEnd + 2
		if size == 0 {
			// Trailers, if any, then an empty line.
			for {
				lineEnd = bytes.Index(b[at:], []byte("\r\n"))
				if lineEnd < 0 {
					return 0, nil
				}
				at += lineEnd + 2
				if lineEnd == 0 {
					return at, nil
				}
			}
		}
		at += int(size) + 2
		if at > len(b) {
			return 0, nil
		}
	}
}
