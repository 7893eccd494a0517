package api

import (
	"net/http"
	"regexp"
	"strings"
)

// pathParams are a matched path's parameters, by name.
type pathParams map[string]string

var (
	// Django's uuid converter: lower-case only.
	uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	// Upstream's sha1 converter, [A-z0-9]{40} (A-z spans a few symbols too).
	sha1Re = regexp.MustCompile("^[A-z0-9]{40}$")
	intRe  = regexp.MustCompile(`^[0-9]+$`)
	// Django's slug, str and upstream's "quoted" path converters.
	slugRe   = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)
	strRe    = regexp.MustCompile(`^[^/]+$`)
	quotedRe = regexp.MustCompile(`^[\pL\pN_%~.-]+$`)
	// paramForms are the parameters a pattern may hold and the form of each
	// (upstream's path converters), so that a name means one form
	// everywhere. Management API: a check's or a notification's UUID, a
	// check's unique_key, a ping's number. Public links: a badge's key,
	// signature, tag and format, a check badge's number of states and
	// UUID, a project's or a channel's UUID (code), a metrics key, the
	// tokens of the email links.
	paramForms = map[string]*regexp.Regexp{"check": uuidRe, "notification": uuidRe, "unique_key": sha1Re, "n": intRe,
		"badge_key": slugRe, "signature": slugRe, "tag": quotedRe, "fmt": slugRe, "states": intRe, "badge_uuid": uuidRe,
		"code": uuidRe, "key": slugRe, "token": slugRe, "signed_token": strRe, "signed_username": strRe}
)

// pathPattern is one of upstream's URL patterns as data, split at "/".
// A segment is a literal, a parameter ("{check}") or two parameters
// around a dot ("{tag}.{fmt}", Django's "<quoted:tag>.<slug:fmt>"): the
// second one's form holds no dot, so the segment's last dot is the only
// split Django's regular expression can make.
type pathPattern []patternSeg

type patternSeg struct {
	lit       string // a literal segment; "" with name set
	name, ext string // the parameter, and the one after the dot
}

// compilePattern splits p; a parameter with no form in paramForms is a
// programming error.
func compilePattern(p string) pathPattern {
	var out pathPattern
	for _, seg := range strings.Split(p, "/") {
		inner, ok := strings.CutPrefix(seg, "{")
		if !ok {
			out = append(out, patternSeg{lit: seg})
			continue
		}
		inner = strings.TrimSuffix(inner, "}")
		s := patternSeg{name: inner}
		if a, b, two := strings.Cut(inner, "}.{"); two {
			s.name, s.ext = a, b
		}
		for _, n := range []string{s.name, s.ext} {
			if n != "" && paramForms[n] == nil {
				panic("api: pattern " + p + " has a parameter {" + n + "} with no form in paramForms")
			}
		}
		out = append(out, s)
	}
	return out
}

// match reports whether a path (decoded, as Django matches it), split at
// "/" once by the caller for the whole table, fits the pattern, and its
// parameters.
func (pp pathPattern) match(segs []string) (pathParams, bool) {
	if len(segs) != len(pp) {
		return nil, false
	}
	var p pathParams
	for i, s := range pp {
		v := segs[i]
		if s.name == "" {
			if v != s.lit {
				return nil, false
			}
			continue
		}
		if p == nil {
			p = pathParams{}
		}
		if s.ext != "" {
			dot := strings.LastIndexByte(v, '.')
			if dot < 0 || !paramForms[s.ext].MatchString(v[dot+1:]) {
				return nil, false
			}
			p[s.ext] = v[dot+1:]
			v = v[:dot]
		}
		if !paramForms[s.name].MatchString(v) {
			return nil, false
		}
		p[s.name] = v
	}
	return p, true
}

// routeList is the form Routes lists a route in, for the security tests
// and the UI's web.(*Web).Routes alike: one "METHOD path" per method, or
// the bare path of a route that takes any method and answers it itself.
func routeList(out []string, path string, methods []string) []string {
	if methods == nil {
		return append(out, path)
	}
	for _, m := range methods {
		out = append(out, m+" "+path)
	}
	return out
}

// linkRoute is one of upstream's public URLs outside /api/ that Overdue
// serves (badges, Prometheus metrics, the links of emails): whoever holds
// the URL may use it, since its key or signature is the credential.
type linkRoute struct {
	pattern string // "/badge/{badge_key}/{signature}.{fmt}"
	pat     pathPattern
	// methods are the methods the view is for, as Routes lists them; nil
	// means any method, the view answers (a confirmation page on GET, the
	// change on POST, for example).
	methods []string
	// csrf: upstream's view is not csrf_exempt, so Django's CSRF
	// middleware refuses any unsafe method with its 403 page before the
	// view runs (a compatibility URL carries no CSRF token).
	csrf bool
	// serve gets the path's parameters as r.PathValue.
	serve http.HandlerFunc
}

// linkTable is the URL table of one handler of public links: matching
// walks it, and Routes lists it, so that the security tests walk every
// route there is. server.Compat claims the URL spaces these patterns lie
// in (internal/api/link_routes_test.go checks that it claims them all).
type linkTable []*linkRoute

func newLinkTable(routes ...*linkRoute) linkTable {
	for _, rt := range routes {
		rt.pat = compilePattern(rt.pattern)
	}
	return routes
}

func (t linkTable) match(path string) (*linkRoute, pathParams) {
	segs := strings.Split(path, "/")
	for _, rt := range t {
		if p, ok := rt.pat.match(segs); ok {
			return rt, p
		}
	}
	return nil, nil
}

// ServeHTTP serves the matching route; a path that matches none is
// Django's 404 page, or its APPEND_SLASH redirect (301, any method) when
// the path with a "/" added matches.
func (t linkTable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, p := t.match(r.URL.Path)
	if rt == nil {
		if alt, _ := t.match(r.URL.Path + "/"); alt != nil && !strings.HasSuffix(r.URL.Path, "/") {
			redirectWithSlash(w, r)
			return
		}
		notFoundPage(w)
		return
	}
	if rt.csrf && csrfRejected(w, r) {
		return
	}
	for k, v := range p {
		r.SetPathValue(k, v)
	}
	rt.serve(w, r)
}

// Routes lists the table as api.(*API).Routes lists the Management API.
func (t linkTable) Routes() []string {
	var out []string
	for _, rt := range t {
		out = routeList(out, rt.pattern, rt.methods)
	}
	return out
}
