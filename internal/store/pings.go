package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// callbackError marks an error that came from ApplyPings' fn, so that it is
// returned untouched and never retried.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

// maxApplyAttempts bounds the re-runs of a batch that lost a deadlock or a
// serialisation race on PostgreSQL/MySQL.
const maxApplyAttempts = 5

// ApplyPings is the ping writer's one call. In one transaction it loads the
// checks (locked, in id order, where the engine has row locks), calls fn,
// which mutates them in place and returns the pings and flips to insert,
// writes the ping-related columns of every loaded check back, inserts the
// rows, and commits. Ids that don't exist are absent from the map. The
// checks in the map hold the columns a ping reads and writes
// (pingCheckCols); their name, slug, code, tags, description, badge key,
// project and creation time are zero. fn may run
// more than once if the transaction has to be retried, so it must derive
// everything from the checks it is given. An error from fn aborts the
// transaction and is returned as is.
func (s *Store) ApplyPings(ctx context.Context, checkIDs []int64, fn func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error)) error {
	return s.ApplyPingsClaimed(ctx, checkIDs, nil, func(checks map[int64]*model.Check, _ map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error) {
		return fn(checks)
	})
}

// ApplyPingsClaimed is ApplyPings for a batch in which some pings were
// addressed by ping key and slug through a cache that may be stale (another
// instance, or another part of this one, renamed, deleted or created a check
// or rotated the key since). In the same transaction it finds the check that
// each of claims names now, and passes fn owners: claim -> check id when
// exactly one check of the key's project has the slug, -1 when several do
// (upstream's "ambiguous slug"), no entry when none does or no project has
// the key. fn refuses the pings whose cached id differs from owners'.
func (s *Store) ApplyPingsClaimed(ctx context.Context, checkIDs []int64, claims []model.SlugAddress,
	fn func(checks map[int64]*model.Check, owners map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error)) error {
	ids := slices.Clone(checkIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var err error
	for attempt := 1; attempt <= maxApplyAttempts; attempt++ {
		err = s.applyPingsOnce(ctx, ids, claims, fn)
		var cbErr callbackError
		if errors.As(err, &cbErr) {
			return cbErr.err
		}
		if err == nil || !isRetryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("apply pings to %d checks: %w", len(ids), err)
	}
	return nil
}

// PingWriterShards is how many ping transactions should run at once (see
// ping.WriterOptions.Shards). SQLite has one writer connection, so one. On
// PostgreSQL and MySQL a transaction spends most of its time waiting for
// round trips and its commit's fsync; several, on disjoint checks, overlap
// those waits and share fsyncs through the server's group commit.
func (s *Store) PingWriterShards() int {
	if s.engine == "sqlite" {
		return 1
	}
	return pingWriterShards
}

// pingWriterShards was measured with bench/run.sh on 2 cores shared with
// the database server and the load generator: PostgreSQL at 64 clients did
// 8.9k pings/s with one shard, 9.9k with two and 7.0k with four, since
// every shard's batches shrink and a transaction's fixed cost then eats
// the CPU the overlap would save. It also stays far below the default pool
// of 20 connections.
const pingWriterShards = 2

func (s *Store) applyPingsOnce(ctx context.Context, ids []int64, claims []model.SlugAddress,
	fn func(map[int64]*model.Check, map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error)) error {
	stmts, err := s.pingStmts.get(ctx, s)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	checks, err := s.loadPingChecks(ctx, tx, stmts, ids)
	if err != nil {
		return err
	}

	owners, err := s.slugOwners(ctx, tx, claims)
	if err != nil {
		return err
	}
	pings, flips, err := fn(checks, owners)
	if err != nil {
		return callbackError{err}
	}
	for _, p := range pings {
		if _, ok := checks[p.CheckID]; !ok {
			return callbackError{fmt.Errorf("ping for check %d, which was not loaded", p.CheckID)}
		}
	}
	for _, f := range flips {
		if _, ok := checks[f.CheckID]; !ok {
			return callbackError{fmt.Errorf("flip for check %d, which was not loaded", f.CheckID)}
		}
	}

	if err := s.writeBackChecks(ctx, tx, stmts, ids, checks); err != nil {
		return err
	}
	if err := s.insertPings(ctx, tx, stmts, pings); err != nil {
		return err
	}
	if err := s.insertFlips(ctx, tx, flips); err != nil {
		return err
	}
	if ids := unprocessedCheckIDs(flips); len(ids) > 0 {
		var now time.Time
		for _, f := range flips {
			if f.Created.After(now) {
				now = f.Created
			}
		}
		if err := s.enqueueFlips(ctx, tx, ids, now); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// slugOwners answers ApplyPingsClaimed's question for claims in one query:
// the checks having one of the claimed slugs in a project having one of the
// claimed keys (a superset of the pairs when a batch spans projects, which
// the loop narrows down). The indexes on projects.ping_key and
// checks (project_id, slug) serve it.
func (s *Store) slugOwners(ctx context.Context, tx *sql.Tx, claims []model.SlugAddress) (map[model.SlugAddress]int64, error) {
	if len(claims) == 0 {
		return nil, nil
	}
	want := make(map[model.SlugAddress]struct{}, len(claims))
	var keys, slugs []string
	for _, c := range claims {
		if _, ok := want[c]; ok {
			continue
		}
		want[c] = struct{}{}
		if !slices.Contains(keys, c.PingKey) {
			keys = append(keys, c.PingKey)
		}
		slugs = append(slugs, c.Slug)
	}
	const sel = "SELECT p.ping_key, c.slug, c.id FROM projects p JOIN checks c ON c.project_id = p.id WHERE "
	var (
		rows *sql.Rows
		err  error
	)
	switch s.d.name {
	case "postgres":
		rows, err = tx.QueryContext(ctx, sel+"p.ping_key = ANY($1) AND c.slug = ANY($2)", keys, slugs)
	case "sqlite":
		// One statement text whatever the batch: SQLite parses each new one.
		kj, _ := json.Marshal(keys)
		sj, _ := json.Marshal(slugs)
		rows, err = tx.QueryContext(ctx, sel+"p.ping_key IN (SELECT value FROM json_each(?)) AND c.slug IN (SELECT value FROM json_each(?))",
			string(kj), string(sj))
	default:
		args := make([]any, 0, len(keys)+len(slugs))
		for _, k := range keys {
			args = append(args, k)
		}
		for _, sl := range slugs {
			args = append(args, sl)
		}
		q := sel + "p.ping_key IN (?" + strings.Repeat(",?", len(keys)-1) + ") AND c.slug IN (?" + strings.Repeat(",?", len(slugs)-1) + ")"
		rows, err = tx.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("verify %d slug addresses: %w", len(want), err)
	}
	defer rows.Close()
	owners := make(map[model.SlugAddress]int64, len(want))
	for rows.Next() {
		var (
			a  model.SlugAddress
			id int64
		)
		if err := rows.Scan(&a.PingKey, &a.Slug, &id); err != nil {
			return nil, fmt.Errorf("verify slug addresses: %w", err)
		}
		if _, ok := want[a]; !ok {
			continue
		}
		if _, dup := owners[a]; dup {
			id = -1
		}
		owners[a] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify slug addresses: %w", err)
	}
	return owners, nil
}

// SQLite's write-back: one UPDATE ... FROM (VALUES ...) per batch (in
// power-of-two buckets, like the loads), instead of one UPDATE per check.
// Each statement execution through database/sql costs an argument
// conversion, a bind and a result; a batch of 64 distinct checks paid that
// 64 times. The VALUES columns are (id, then the eight below, in order).
const (
	sqlitePingUpdateSQL = "UPDATE checks SET status = v.column2, n_pings = v.column3, last_ping = v.column4, " +
		"last_start = v.column5, last_start_rid = v.column6, last_duration_us = v.column7, " +
		"has_confirmation_link = v.column8, alert_after = v.column9 FROM (VALUES "
	sqlitePingUpdateWhere = ") AS v WHERE checks.id = v.column1"
	sqliteUpdateCols      = 9
)

// The ping path's statement texts must not depend on the batch size where
// the engine parses (SQLite) or prepares (PostgreSQL, via pgx's statement
// cache) every new text: that parsing was a tenth of the server's CPU. So
// PostgreSQL passes arrays, and SQLite uses a fixed set of statements,
// prepared once: IN lists of a power-of-two length (padded by repeating an
// id) and INSERTs of a power-of-two number of rows. MySQL interpolates
// parameters client-side (InterpolateParams), so its texts cost nothing to
// vary; there the aim is fewer round trips.
const (
	// maxLoadBucket is the longest IN list of the SQLite load statements;
	// it covers the writer's default batch of 500 in one statement.
	loadBucketBits = 9
	maxLoadBucket  = 1 << loadBucketBits
	// maxInsertBucket is the most rows of one SQLite ping INSERT.
	insertBucketBits = 8
	maxInsertBucket  = 1 << insertBucketBits
)

// pingCheckCols are the columns of a check that the ping path reads: what
// ping.Apply classifies with and writes, and what the schedule's alert_after
// needs. The writer's load scans these 23 rather than all 31 of checkCols:
// the name, slug, tags, description, code, badge key and creation time were
// scanned (and their strings allocated) for every ping and never read.
const pingCheckCols = "id, kind, timeout_us, grace_us, schedule, tz, filter_subject, filter_body, filter_http_body, " +
	"filter_default_fail, start_kw, success_kw, failure_kw, methods, manual_resume, " +
	"status, n_pings, last_ping, last_start, last_start_rid, last_duration_us, has_confirmation_link, alert_after"

// scanPingCheck reads pingCheckCols; the check's other fields stay zero.
func scanPingCheck(sc interface{ Scan(...any) error }) (model.Check, error) {
	var c model.Check
	err := sc.Scan(&c.ID, &c.Kind, durScan{&c.Timeout}, durScan{&c.Grace}, &c.Schedule, &c.TZ,
		&c.FilterSubject, &c.FilterBody, &c.FilterHTTPBody, &c.FilterDefaultFail, &c.StartKw, &c.SuccessKw, &c.FailureKw,
		&c.Methods, &c.ManualResume,
		&c.Status, &c.NPings, nullTimeScan{&c.LastPing}, nullTimeScan{&c.LastStart}, nullStrScan{&c.LastStartRID},
		nullDurScan{&c.LastDuration}, &c.HasConfirmationLink, nullTimeScan{&c.AlertAfter})
	return c, err
}

var (
	pingLoadSQL   = "SELECT " + pingCheckCols + " FROM checks WHERE id IN (%s) ORDER BY id"
	pingInsertSQL = "INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, rid, exit_status) VALUES "

	// PostgreSQL: one text each, whatever the batch size. FOR UPDATE locks
	// in ORDER BY order (LockRows runs above the sort).
	pgPingLoadSQL   = "SELECT " + pingCheckCols + " FROM checks WHERE id = ANY($1) ORDER BY id FOR UPDATE"
	pgPingUpdateSQL = "UPDATE checks AS c SET status = v.status, n_pings = v.n_pings, last_ping = v.last_ping, " +
		"last_start = v.last_start, last_start_rid = v.last_start_rid, last_duration_us = v.last_duration_us, " +
		"has_confirmation_link = v.has_confirmation_link, alert_after = v.alert_after " +
		"FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::bigint[], " +
		"$8::boolean[], $9::timestamptz[]) AS v(id, status, n_pings, last_ping, last_start, last_start_rid, last_duration_us, " +
		"has_confirmation_link, alert_after) WHERE c.id = v.id"
	pgPingInsertSQL = "INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, rid, exit_status) " +
		"SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], " +
		"$8::text[], $9::bytea[], $10::text[], $11::integer[])"
)

// pingStmtCache holds SQLite's ping statements, prepared on the writer pool.
// That pool is one connection, so each is parsed once for the life of the
// store; Tx.StmtContext reuses the connection's prepared statement (and
// re-prepares it on the transaction's connection should that ever change).
// They are prepared together, outside any transaction: preparing on the
// pool while a transaction holds its only connection would wait forever.
type pingStmtCache struct {
	mu    sync.Mutex
	ready bool
	s     pingStmts
}

// pingStmts is nil on PostgreSQL and MySQL, which need no cache.
type pingStmts = *pingStmtSet

type pingStmtSet struct {
	load   [loadBucketBits + 1]*sql.Stmt   // load[k] has 1<<k ids
	insert [insertBucketBits + 1]*sql.Stmt // insert[k] has 1<<k rows
	update [loadBucketBits + 1]*sql.Stmt   // update[k] has 1<<k rows
}

func (c *pingStmtCache) get(ctx context.Context, s *Store) (pingStmts, error) {
	if s.engine != "sqlite" {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready {
		return c.s, nil
	}
	var (
		set pingStmtSet
		all []*sql.Stmt
	)
	prep := func(q string) (*sql.Stmt, error) {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			for _, p := range all {
				p.Close()
			}
			return nil, fmt.Errorf("prepare ping statements: %w", err)
		}
		all = append(all, st)
		return st, nil
	}
	var err error
	for k := range set.load {
		q := fmt.Sprintf(pingLoadSQL, "?"+strings.Repeat(",?", 1<<k-1))
		if set.load[k], err = prep(q); err != nil {
			return nil, err
		}
	}
	for k := range set.insert {
		var b strings.Builder
		b.WriteString(pingInsertSQL)
		placeholders(&b, 1<<k, pingInsertCols)
		if set.insert[k], err = prep(b.String()); err != nil {
			return nil, err
		}
	}
	for k := range set.update {
		var b strings.Builder
		b.WriteString(sqlitePingUpdateSQL)
		placeholders(&b, 1<<k, sqliteUpdateCols)
		b.WriteString(sqlitePingUpdateWhere)
		if set.update[k], err = prep(b.String()); err != nil {
			return nil, err
		}
	}
	c.s, c.ready = &set, true
	return c.s, nil
}

// loadPingChecks loads (and, where the engine has row locks, locks) the
// checks with these sorted, distinct ids, in id order: their
// pingCheckCols only.
func (s *Store) loadPingChecks(ctx context.Context, tx *sql.Tx, stmts pingStmts, ids []int64) (map[int64]*model.Check, error) {
	checks := make(map[int64]*model.Check, len(ids))
	add := func(rows *sql.Rows, err error) error {
		if err != nil {
			return fmt.Errorf("load checks: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanPingCheck(rows)
			if err != nil {
				return fmt.Errorf("load checks: %w", err)
			}
			checks[c.ID] = &c
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load checks: %w", err)
		}
		return nil
	}
	switch {
	case len(ids) == 0:
	case s.d.name == "postgres":
		if err := add(tx.QueryContext(ctx, pgPingLoadSQL, ids)); err != nil {
			return nil, err
		}
	case stmts != nil:
		// Chunks in id order keep the lock order of one sorted list.
		var args [maxLoadBucket]any
		for start := 0; start < len(ids); start += maxLoadBucket {
			chunk := ids[start:min(start+maxLoadBucket, len(ids))]
			k := bits.Len(uint(len(chunk) - 1)) // smallest 1<<k >= len(chunk)
			n := 1 << k
			for i := range n {
				// Padding repeats the last id, which IN ignores.
				args[i] = chunk[min(i, len(chunk)-1)]
			}
			st := tx.StmtContext(ctx, stmts.load[k])
			if err := add(st.QueryContext(ctx, args[:n]...)); err != nil {
				return nil, err
			}
		}
	default:
		for start := 0; start < len(ids); start += maxRowsPerInsert {
			chunk := ids[start:min(start+maxRowsPerInsert, len(ids))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			q := fmt.Sprintf(pingLoadSQL, "?"+strings.Repeat(",?", len(chunk)-1)) + s.d.lockClause()
			if err := add(tx.QueryContext(ctx, s.d.rebind(q), args...)); err != nil {
				return nil, err
			}
		}
	}
	return checks, nil
}

// writeBackChecks updates the columns a ping can change, in id order (the
// order the locks were taken in), with one statement per batch: on
// PostgreSQL and MySQL each statement is a network round trip, on SQLite a
// database/sql execution with its own argument conversion and result.
func (s *Store) writeBackChecks(ctx context.Context, tx *sql.Tx, stmts pingStmts, ids []int64, checks map[int64]*model.Check) error {
	if len(checks) == 0 {
		return nil
	}
	switch {
	case s.d.name == "postgres":
		return s.writeBackChecksPostgres(ctx, tx, ids, checks)
	case s.d.name == "mysql":
		return s.writeBackChecksMySQL(ctx, tx, ids, checks)
	}
	rows := make([]*model.Check, 0, len(checks))
	for _, id := range ids {
		if c, ok := checks[id]; ok {
			rows = append(rows, c)
		}
	}
	args := make([]any, 0, min(len(rows), maxLoadBucket)*sqliteUpdateCols)
	for start := 0; start < len(rows); start += maxLoadBucket {
		chunk := rows[start:min(start+maxLoadBucket, len(rows))]
		k := bits.Len(uint(len(chunk) - 1)) // smallest 1<<k >= len(chunk)
		args = args[:0]
		for i := range 1 << k {
			// Padding repeats the last row: the same values for the same
			// check, whichever of the duplicates the join picks.
			c := chunk[min(i, len(chunk)-1)]
			args = append(args, c.ID, c.Status, c.NPings, s.tsPtr(c.LastPing), s.tsPtr(c.LastStart), nullIfEmpty(c.LastStartRID),
				usPtr(c.LastDuration), c.HasConfirmationLink, s.tsPtr(c.AlertAfter))
		}
		st := tx.StmtContext(ctx, stmts.update[k])
		_, err := st.ExecContext(ctx, args...)
		st.Close()
		if err != nil {
			return fmt.Errorf("update %d checks: %w", len(chunk), err)
		}
	}
	return nil
}

func (s *Store) writeBackChecksPostgres(ctx context.Context, tx *sql.Tx, ids []int64, checks map[int64]*model.Check) error {
	n := len(checks)
	var (
		id, nPings, dur            = make([]int64, 0, n), make([]int64, 0, n), make([]*int64, 0, n)
		status, rid                = make([]string, 0, n), make([]*string, 0, n)
		lastPing, lastStart, alert = make([]*time.Time, 0, n), make([]*time.Time, 0, n), make([]*time.Time, 0, n)
		conf                       = make([]bool, 0, n)
	)
	for _, i := range ids {
		c, ok := checks[i]
		if !ok {
			continue
		}
		id, nPings, status, conf = append(id, c.ID), append(nPings, c.NPings), append(status, c.Status), append(conf, c.HasConfirmationLink)
		lastPing, lastStart, alert = append(lastPing, utcPtr(c.LastPing)), append(lastStart, utcPtr(c.LastStart)), append(alert, utcPtr(c.AlertAfter))
		var r *string
		if c.LastStartRID != "" {
			r = &c.LastStartRID
		}
		rid = append(rid, r)
		var d *int64
		if c.LastDuration != nil {
			v := us(*c.LastDuration)
			d = &v
		}
		dur = append(dur, d)
	}
	if _, err := tx.ExecContext(ctx, pgPingUpdateSQL, id, status, nPings, lastPing, lastStart, rid, dur, conf, alert); err != nil {
		return fmt.Errorf("update %d checks: %w", len(id), err)
	}
	return nil
}

// mysqlUpdateCols are the derived table's columns in writeBackChecksMySQL.
const mysqlUpdateCols = 9

// writeBackChecksMySQL joins the checks to a derived table of the new
// values: one round trip per batch instead of one per check. (INSERT ... ON
// DUPLICATE KEY UPDATE would need every NOT NULL column; MariaDB and MySQL
// disagree on VALUES-list syntax, UNION ALL works on both.)
func (s *Store) writeBackChecksMySQL(ctx context.Context, tx *sql.Tx, ids []int64, checks map[int64]*model.Check) error {
	rows := make([]*model.Check, 0, len(checks))
	for _, id := range ids {
		if c, ok := checks[id]; ok {
			rows = append(rows, c)
		}
	}
	for start := 0; start < len(rows); start += maxRowsPerInsert {
		chunk := rows[start:min(start+maxRowsPerInsert, len(rows))]
		var b strings.Builder
		b.WriteString("UPDATE checks AS c JOIN (SELECT ? AS id, ? AS status, ? AS n_pings, ? AS last_ping, ? AS last_start, " +
			"? AS last_start_rid, ? AS last_duration_us, ? AS has_confirmation_link, ? AS alert_after")
		for range len(chunk) - 1 {
			b.WriteString(" UNION ALL SELECT ?,?,?,?,?,?,?,?,?")
		}
		b.WriteString(") AS v ON c.id = v.id SET c.status = v.status, c.n_pings = v.n_pings, c.last_ping = v.last_ping, " +
			"c.last_start = v.last_start, c.last_start_rid = v.last_start_rid, c.last_duration_us = v.last_duration_us, " +
			"c.has_confirmation_link = v.has_confirmation_link, c.alert_after = v.alert_after")
		args := make([]any, 0, len(chunk)*mysqlUpdateCols)
		for _, c := range chunk {
			args = append(args, c.ID, c.Status, c.NPings, s.tsPtr(c.LastPing), s.tsPtr(c.LastStart), nullIfEmpty(c.LastStartRID),
				usPtr(c.LastDuration), c.HasConfirmationLink, s.tsPtr(c.AlertAfter))
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("update %d checks: %w", len(chunk), err)
		}
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

const (
	pingInsertCols = 11
	// maxRowsPerInsert keeps multi-row statements to a size every engine
	// parses quickly and far below its placeholder limit.
	maxRowsPerInsert = 500
)

// insertPings writes the pings: on SQLite in chunks of power-of-two sizes
// with the cached statements, on PostgreSQL as arrays in one statement, on
// MySQL with multi-row INSERTs.
func (s *Store) insertPings(ctx context.Context, tx *sql.Tx, stmts pingStmts, pings []model.Ping) error {
	if len(pings) == 0 {
		return nil
	}
	if s.d.name == "postgres" {
		return s.insertPingsPostgres(ctx, tx, pings)
	}
	chunkMax := maxRowsPerInsert
	if stmts != nil {
		chunkMax = maxInsertBucket
	}
	args := make([]any, 0, min(len(pings), chunkMax)*pingInsertCols)
	for start := 0; start < len(pings); {
		n := min(len(pings)-start, chunkMax)
		if stmts != nil {
			n = 1 << (bits.Len(uint(n)) - 1) // the largest power of two <= n
		}
		chunk := pings[start : start+n]
		start += n
		args = args[:0]
		for i := range chunk {
			p := &chunk[i]
			var exit any
			if p.ExitStatus != nil {
				exit = *p.ExitStatus
			}
			args = append(args, p.CheckID, p.N, s.ts(p.Created), p.Kind, p.Scheme, p.RemoteAddr, p.Method, p.UA, p.Body, nullIfEmpty(p.RID), exit)
		}
		var err error
		if stmts != nil {
			st := tx.StmtContext(ctx, stmts.insert[bits.TrailingZeros(uint(n))])
			_, err = st.ExecContext(ctx, args...)
		} else {
			var b strings.Builder
			b.WriteString(pingInsertSQL)
			placeholders(&b, len(chunk), pingInsertCols)
			_, err = tx.ExecContext(ctx, s.d.rebind(b.String()), args...)
		}
		if err != nil {
			return fmt.Errorf("insert %d pings: %w", len(chunk), err)
		}
	}
	return nil
}

func (s *Store) insertPingsPostgres(ctx context.Context, tx *sql.Tx, pings []model.Ping) error {
	n := len(pings)
	var (
		checkID, num                 = make([]int64, 0, n), make([]int64, 0, n)
		created                      = make([]time.Time, 0, n)
		kind, scheme, addr, meth, ua = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		body                         = make([][]byte, 0, n)
		rid                          = make([]*string, 0, n)
		exit                         = make([]*int32, 0, n)
	)
	for i := range pings {
		p := &pings[i]
		checkID, num, created = append(checkID, p.CheckID), append(num, p.N), append(created, p.Created.UTC().Truncate(time.Microsecond))
		kind, scheme, addr, meth, ua = append(kind, p.Kind), append(scheme, p.Scheme), append(addr, p.RemoteAddr), append(meth, p.Method), append(ua, p.UA)
		body = append(body, p.Body)
		var r *string
		if p.RID != "" {
			r = &p.RID
		}
		rid = append(rid, r)
		var e *int32
		if p.ExitStatus != nil {
			v := int32(*p.ExitStatus)
			e = &v
		}
		exit = append(exit, e)
	}
	if _, err := tx.ExecContext(ctx, pgPingInsertSQL, checkID, num, created, kind, scheme, addr, meth, ua, body, rid, exit); err != nil {
		return fmt.Errorf("insert %d pings: %w", n, err)
	}
	return nil
}

// insertFlips writes the flips with multi-row INSERTs.
func (s *Store) insertFlips(ctx context.Context, tx *sql.Tx, flips []model.Flip) error {
	for start := 0; start < len(flips); start += maxRowsPerInsert {
		chunk := flips[start:min(start+maxRowsPerInsert, len(flips))]
		var b strings.Builder
		b.WriteString("INSERT INTO flips (check_id, created, old_status, new_status, reason, processed) VALUES ")
		placeholders(&b, len(chunk), 6)
		args := make([]any, 0, len(chunk)*6)
		for _, f := range chunk {
			args = append(args, f.CheckID, s.ts(f.Created), f.OldStatus, f.NewStatus, f.Reason, s.tsPtr(f.Processed))
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(b.String()), args...); err != nil {
			return fmt.Errorf("insert %d flips: %w", len(chunk), err)
		}
	}
	return nil
}

const pingCols = "id, check_id, n, created, kind, scheme, remote_addr, method, ua, body, rid, exit_status"

func scanPing(sc interface{ Scan(...any) error }) (model.Ping, error) {
	var (
		p    model.Ping
		exit sql.NullInt64
	)
	err := sc.Scan(&p.ID, &p.CheckID, &p.N, timeScan{&p.Created}, &p.Kind, &p.Scheme, &p.RemoteAddr, &p.Method, &p.UA,
		&p.Body, nullStrScan{&p.RID}, &exit)
	if exit.Valid {
		v := int(exit.Int64)
		p.ExitStatus = &v
	}
	return p, err
}

// ListPings returns a check's pings, newest first; limit <= 0 means all.
func (s *Store) ListPings(ctx context.Context, checkID int64, limit int) ([]model.Ping, error) {
	q := "SELECT " + pingCols + " FROM pings WHERE check_id = ? ORDER BY n DESC"
	args := []any{checkID}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list pings of check %d: %w", checkID, err)
	}
	defer rows.Close()
	var out []model.Ping
	for rows.Next() {
		p, err := scanPing(rows)
		if err != nil {
			return nil, fmt.Errorf("list pings of check %d: %w", checkID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pings of check %d: %w", checkID, err)
	}
	return out, nil
}

// PrunePings deletes the check's pings older than the newest keep ones
// (those with n <= n_pings - keep), then the notifications and flips that
// upstream's retention lets go with them (pruneHistory).
func (s *Store) PrunePings(ctx context.Context, checkID int64, keep int) error {
	return s.PrunePingsAt(ctx, checkID, keep, time.Now())
}

// PrunePingsAt is PrunePings with the flips' 93 days counted back from now.
func (s *Store) PrunePingsAt(ctx context.Context, checkID int64, keep int, now time.Time) error {
	if _, err := s.PruneCheckPings(ctx, checkID, keep); err != nil {
		return err
	}
	// Like upstream's Check.prune, the history goes by the oldest ping
	// even when no ping was old enough to delete.
	return s.pruneHistory(ctx, checkID, now)
}

// PruneCheckPings deletes only the check's pings with n <= n_pings - keep
// and returns how many went. They go in batches of pruneBatch rows, each
// its own statement, so a check with a large backlog never holds the
// writer for long.
func (s *Store) PruneCheckPings(ctx context.Context, checkID int64, keep int) (int64, error) {
	if keep < 0 {
		return 0, fmt.Errorf("prune pings of check %d: keep must not be negative, got %d", checkID, keep)
	}
	var nPings int64
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT n_pings FROM checks WHERE id = ?"), checkID).Scan(&nPings)
	if err != nil {
		return 0, notFound(err, fmt.Sprintf("prune pings of check %d", checkID))
	}
	if nPings <= int64(keep) {
		return 0, nil
	}
	n, err := s.deleteBatched(ctx, "pings", "check_id = ? AND n <= ?", checkID, nPings-int64(keep))
	if err != nil {
		return n, fmt.Errorf("prune pings of check %d: %w", checkID, err)
	}
	return n, nil
}

// flipRetention is how long flips are kept whatever the pings: upstream keeps
// about three months for its downtime statistics.
const flipRetention = 93 * 24 * time.Hour

// Upstream's retention of the rows around the pings, as WHERE clauses: a
// notification older than its check's oldest remaining ping goes (but never
// one that is still to be delivered), and a flip older than both that ping
// and 93 days (the ? is now - flipRetention). A check without pings keeps
// both. The per-check prune and the periodic sweep (retention.go) share them.
const (
	notificationsPrunable = "status IN ('sent', 'failed') AND created < (SELECT MIN(p.created) FROM pings p WHERE p.check_id = notifications.check_id)"
	flipsPrunable         = "created < ? AND created < (SELECT MIN(p.created) FROM pings p WHERE p.check_id = flips.check_id)"
)

// pruneHistory applies that retention to one check's notifications and flips.
func (s *Store) pruneHistory(ctx context.Context, checkID int64, now time.Time) error {
	if _, err := s.deleteBatched(ctx, "notifications", "check_id = ? AND "+notificationsPrunable, checkID); err != nil {
		return fmt.Errorf("prune notifications of check %d: %w", checkID, err)
	}
	if _, err := s.deleteBatched(ctx, "flips", "check_id = ? AND "+flipsPrunable, checkID, s.ts(now.Add(-flipRetention).UTC())); err != nil {
		return fmt.Errorf("prune flips of check %d: %w", checkID, err)
	}
	return nil
}

const flipCols = "id, check_id, created, old_status, new_status, reason, processed"

// ListFlips returns a check's flips, newest first.
func (s *Store) ListFlips(ctx context.Context, checkID int64) ([]model.Flip, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+flipCols+" FROM flips WHERE check_id = ? ORDER BY created DESC, id DESC"), checkID)
	if err != nil {
		return nil, fmt.Errorf("list flips of check %d: %w", checkID, err)
	}
	defer rows.Close()
	var out []model.Flip
	for rows.Next() {
		var f model.Flip
		if err := rows.Scan(&f.ID, &f.CheckID, timeScan{&f.Created}, &f.OldStatus, &f.NewStatus, &f.Reason, nullTimeScan{&f.Processed}); err != nil {
			return nil, fmt.Errorf("list flips of check %d: %w", checkID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flips of check %d: %w", checkID, err)
	}
	return out, nil
}
