package smtpd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/overdue/overdue/internal/ping"
)

// Limits of the message parser. They bound memory per message whatever the
// sender does; the message size itself is bounded by the SMTP server.
const (
	// maxHeaderBytes bounds one header block (the message's or a part's).
	maxHeaderBytes = 256 << 10
	// maxTextBytes bounds the decoded text kept from one part, for the
	// keyword filters and the stored body.
	maxTextBytes = 1 << 20
	// maxParts bounds the MIME parts walked, and maxDepth their nesting,
	// so a crafted message costs bounded time.
	maxParts = 100
	maxDepth = 10
	// maxStoredHeader bounds the sender and subject copied into the stored
	// body (RFC 5322's line length).
	maxStoredHeader = 998
)

// ErrHeaderTooLarge is returned by MessageToEvent for a header block over
// the limit; the listener answers it with 552 5.3.4.
var ErrHeaderTooLarge = errors.New("message header too large")

// Envelope is what the SMTP session knew before the message's content.
type Envelope struct {
	From       string // MAIL FROM, "" for the null sender
	RemoteAddr string // the peer's IP
}

// MessageToEvent reads one message and builds the ping it becomes: kind
// email, scheme "email", an empty method (upstream's), UA "Email from
// <MAIL FROM>", Subject and Text decoded for the keyword filters, and a
// stored Body of at most bodyLimit bytes (-1: no limit).
//
// The stored body is a small plain-text message in UTF-8: From and
// Subject headers, then the decoded text (the text/plain part, else the
// text/html part as text). Upstream stores the raw message instead; ours
// is readable as stored, and a reader that parses it as a message (as
// upstream's UI does) still finds the subject and the text.
//
// Malformed MIME, unknown charsets and bad transfer encodings never fail:
// a ping is a ping whatever its content, so they degrade to the raw bytes
// (made valid UTF-8). Only an over-long header block and a failing reader
// are errors.
func MessageToEvent(r io.Reader, env Envelope, bodyLimit int) (ping.Event, error) {
	// Errors of the parser's own reads are decoding trouble and tolerated;
	// an error of the source itself (the connection, the size limit) must
	// reach the caller, so it is kept aside here.
	src := &stickyReader{r: r}
	br := bufio.NewReader(src)
	ev := ping.Event{
		Action:     ping.ActionSuccess,
		Email:      true,
		Scheme:     "email",
		RemoteAddr: env.RemoteAddr,
		UA:         clean("Email from "+env.From, 200),
	}
	ent, seen, err := readEntity(br)
	var plain, htmlText []byte
	switch {
	case errors.Is(err, ErrHeaderTooLarge):
		return ping.Event{}, err
	case err != nil:
		// No header block we can read: keep the whole message as text,
		// as a lenient parser would (Python's puts it in the payload).
		rest, _ := readCapped(br, maxTextBytes)
		plain = validUTF8(append(seen, rest...))
		if len(plain) > maxTextBytes {
			plain = cutUTF8(plain, maxTextBytes)
		}
	default:
		ev.Subject = decodeSubject(ent.Header.Get("Subject"))
		w := walker{}
		w.walk(ent, 0)
		plain, htmlText = w.plain, w.html
	}
	// Drain what the parser left (epilogues, skipped parts) so that an
	// error of the source is seen whatever the parser stopped at.
	_, _ = io.Copy(io.Discard, br)
	if src.err != nil {
		return ping.Event{}, fmt.Errorf("read message: %w", src.err)
	}

	// Upstream's filter text: the first text/plain part, then the first
	// text/html part as text, joined by a newline.
	var text []byte
	if plain != nil {
		text = append(text, plain...)
	}
	var asText []byte
	if htmlText != nil {
		asText = []byte(htmlToText(string(htmlText)))
		if plain != nil {
			text = append(text, '\n')
		}
		text = append(text, asText...)
	}
	ev.Text = text

	shown := plain
	if shown == nil {
		shown = asText
	}
	var b bytes.Buffer
	b.WriteString("From: " + clean(env.From, maxStoredHeader) + "\r\n")
	b.WriteString("Subject: " + clean(ev.Subject, maxStoredHeader) + "\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n")
	b.Write(shown)
	ev.Body = cutUTF8(b.Bytes(), bodyLimit)
	return ev, nil
}

// readEntity reads a header block with the size limit and wraps the body
// with go-message's transfer decoding.
// When the header can't be parsed, seen holds the bytes read so far, so
// that the caller can keep the message as text.
func readEntity(br *bufio.Reader) (ent *message.Entity, seen []byte, err error) {
	lr := &headerLimit{r: br, n: maxHeaderBytes, seen: new(bytes.Buffer)}
	hr := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(hr)
	if lr.over {
		return nil, nil, ErrHeaderTooLarge
	}
	if err != nil {
		return nil, lr.seen.Bytes(), fmt.Errorf("read header: %w", err)
	}
	lr.n, lr.seen = -1, nil
	// An unknown transfer encoding or charset is reported but the entity
	// is still readable (as the raw bytes); that is what we want.
	ent, _ = message.New(message.Header{Header: h}, hr)
	return ent, nil, nil
}

// convertCharset converts a text part's body to UTF-8 with the charsets
// x/text knows. go-message converts only when its package-level converter
// is set, which this program leaves alone; for utf-8 and us-ascii it passes
// the bytes through, as here.
func convertCharset(e *message.Entity) {
	mt, params, _ := e.Header.ContentType()
	if !strings.HasPrefix(mt, "text/") {
		return
	}
	cs := strings.ToLower(params["charset"])
	if cs == "" || cs == "utf-8" || cs == "us-ascii" {
		return
	}
	if enc, err := htmlindex.Get(cs); err == nil {
		e.Body = enc.NewDecoder().Reader(e.Body)
	}
}

// stickyReader keeps the first error other than io.EOF that r returned.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// headerLimit fails reads past n bytes (n < 0: no limit), remembering why,
// and keeps a copy of what it read in seen while that is set.
type headerLimit struct {
	r    io.Reader
	n    int
	over bool
	seen *bytes.Buffer
}

func (l *headerLimit) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		l.over = true
		return 0, ErrHeaderTooLarge
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= n
	if l.seen != nil {
		l.seen.Write(p[:n])
	}
	return n, err
}

// walker finds the first text/plain and the first text/html part, the way
// upstream's get_body does for the common shapes (a single part, or
// multipart/alternative or /mixed nesting them); attachments are skipped.
type walker struct {
	plain, html []byte
	parts       int
}

func (w *walker) walk(e *message.Entity, depth int) {
	w.parts++
	mt, _, _ := e.Header.ContentType()
	if mt == "" {
		mt = "text/plain" // RFC 2045's default
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := e.MultipartReader()
		if mr == nil || depth >= maxDepth {
			return
		}
		for w.parts < maxParts && (w.plain == nil || w.html == nil) {
			p, err := mr.NextPart()
			if err != nil {
				// io.EOF, or a malformed multipart: keep what was found.
				return
			}
			w.walk(p, depth+1)
		}
		return
	}
	if disp, _, _ := e.Header.ContentDisposition(); disp == "attachment" {
		return
	}
	var dst *[]byte
	switch {
	case mt == "text/plain" && w.plain == nil:
		dst = &w.plain
	case mt == "text/html" && w.html == nil:
		dst = &w.html
	default:
		return
	}
	convertCharset(e)
	// A bad base64 or quoted-printable body is kept as far as it decoded.
	b, _ := readCapped(e.Body, maxTextBytes)
	*dst = validUTF8(b)
}

// readCapped reads r to its end, keeping at most max bytes; what is read
// before an error is returned with it.
func readCapped(r io.Reader, max int) ([]byte, error) {
	var b bytes.Buffer
	_, err := io.Copy(&b, io.LimitReader(r, int64(max)))
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	return b.Bytes(), err
}

// decodeSubject decodes RFC 2047 words with the charsets x/text knows;
// undecodable words stay as written. 8-bit bytes are taken as UTF-8, and
// what is not valid UTF-8 becomes U+FFFD.
func decodeSubject(s string) string {
	d := mime.WordDecoder{CharsetReader: func(cs string, in io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(cs)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(in), nil
	}}
	if dec, err := d.DecodeHeader(s); err == nil {
		s = dec
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func validUTF8(b []byte) []byte {
	if b == nil {
		b = []byte{}
	}
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// clean makes s one line of at most n characters without NULs: it goes
// into a text column or a header line.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch r {
		case 0:
			return -1
		case '\r', '\n', '\t':
			return ' '
		}
		return r
	}, s)
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// cutUTF8 cuts b to at most limit bytes (limit < 0: no cut) without
// splitting a character.
func cutUTF8(b []byte, limit int) []byte {
	if limit < 0 || len(b) <= limit {
		return b
	}
	b = b[:limit]
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size > 1 {
			break
		}
		b = b[:len(b)-1]
		if utf8.Valid(b) {
			break
		}
	}
	return b
}

// htmlToText is upstream's html2text: the text outside tags, without
// <script> and <style> contents, entities decoded, whitespace collapsed to
// single spaces.
func htmlToText(s string) string {
	var out strings.Builder
	skip := ""
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			if skip == "" {
				out.WriteString(s)
			}
			break
		}
		if skip == "" {
			out.WriteString(s[:i])
		}
		s = s[i:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			// An unclosed tag: Python's parser keeps it as text.
			if skip == "" {
				out.WriteString(s)
			}
			break
		}
		tag := s[1:end]
		s = s[end+1:]
		closing := strings.HasPrefix(tag, "/")
		name := strings.ToLower(strings.TrimLeft(tag, "/"))
		if k := strings.IndexAny(name, " \t\r\n/"); k >= 0 {
			name = name[:k]
		}
		switch {
		case skip != "" && closing && name == skip:
			skip = ""
		case skip == "" && !closing && (name == "script" || name == "style"):
			skip = name
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(out.String())), " ")
}
