package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// PrepareDataset makes dir hold a verified copy of the dataset, downloading
// what is missing; see Downloader.Prepare. progress may be nil.
func PrepareDataset(ctx context.Context, dir, source string, progress func(fmnist.DownloadProgress)) error {
	d := Downloader{Progress: progress}
	return d.Prepare(ctx, dir, source)
}

// Downloader fetches and verifies the dataset. The zero value is ready to
// use; the fields tune it (tests shorten the backoff). Do not run two
// Prepare calls on the same directory at once.
type Downloader struct {
	// Client makes the HTTP requests; nil means a client with connect,
	// TLS and response-header timeouts.
	Client *http.Client
	// Attempts is how often one mirror is tried for one file before moving
	// on to the next mirror, counting consecutive failures that made no
	// progress; 0 means 5.
	Attempts int
	// Backoff is the wait before the first retry, doubling after each
	// failure up to MaxBackoff; 0 means 1s and 30s.
	Backoff, MaxBackoff time.Duration
	// StallTimeout aborts (and retries) an attempt that receives nothing
	// for this long: no response headers, or no byte of the body; 0 means
	// 60s. (The default client gives up on headers after 30s already.)
	StallTimeout time.Duration
	// Progress, if set, is called on the downloading goroutine at the start
	// and end of each file and at most every 100 ms in between. It must
	// return quickly.
	Progress func(fmnist.DownloadProgress)
	// Retrying, if set, is called on the downloading goroutine when an
	// attempt failed and the same mirror is tried again, before the wait.
	// It must return quickly.
	Retrying func(fmnist.DownloadRetry)
	// Logger receives the log; nil means slog.Default().
	Logger *slog.Logger
}

// progressInterval is the least time between two progress reports of one file.
const progressInterval = 100 * time.Millisecond

// Prepare makes dir hold the four dataset files, verified, plus a marker
// that DatasetReady checks. A directory that is ready already is left alone
// without any request.
//
// source is where the files come from:
//   - "": the official site, falling back to the GitHub copy; files must
//     match the published MD5s and hold exactly 60,000 and 10,000 items.
//   - an http(s) URL of a directory, a file:// URL or a local directory
//     holding the four files. If it also holds SHA256SUMS (sha256sum
//     format) every file must match it. Any item counts are accepted as
//     long as images and labels agree. dir itself is allowed: the files are
//     then verified in place.
//
// Every file is also checked as IDX (see ReadSet). Files download to
// NAME.part, resume with HTTP Range requests, and are renamed into place
// only once verified, so cancelling ctx leaves only .part files, which the
// next call resumes. A file that fails verification is removed and the
// error names it and the reason. Files already in place are re-verified,
// not fetched again.
func (d *Downloader) Prepare(ctx context.Context, dir, source string) error {
	log := d.logger().With("dir", dir)
	if DatasetReady(dir) {
		log.Info("dataset already prepared")
		return nil
	}
	src, err := parseSource(source, d.client())
	if err != nil {
		return err
	}
	return d.prepare(ctx, dir, src, log)
}

// prepare is Prepare once the source is parsed.
func (d *Downloader) prepare(ctx context.Context, dir string, src datasetSource, log *slog.Logger) error {
	// Private like the rest of the data dir.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create dataset directory: %w", err)
	}
	inPlace := src.localDir != "" && sameDir(src.localDir, dir)
	log = log.With("source", src.String())
	log.Info("preparing dataset")
	started := time.Now()

	sums, err := d.checksums(ctx, src, log)
	if err != nil {
		return err
	}

	progress := newProgressReporter(d.Progress)
	for _, name := range DatasetFiles {
		progress.size[name] = src.mirrors[0].fetch.knownSize(name)
		if src.official {
			progress.size[name] = officialSizes[name]
		}
	}
	marker := verifiedMarker{Source: src.String(), Sizes: map[string]int64{}, SHA256: map[string]string{}}
	counts := map[string]int{}
	for _, name := range DatasetFiles {
		v, err := d.prepareFile(ctx, dir, name, src, sums, inPlace, progress, log)
		if err != nil {
			return err
		}
		marker.Sizes[name], marker.SHA256[name], counts[name] = v.size, v.sha256, v.count
	}

	if bad, err := checkCounts(counts, src.official); err != nil {
		if !inPlace {
			for _, name := range bad {
				os.Remove(filepath.Join(dir, name))
			}
		}
		return err
	}
	marker.TrainCount, marker.TestCount = counts[TrainImagesFile], counts[TestImagesFile]
	if err := writeVerifiedMarker(dir, marker); err != nil {
		return err
	}
	log.Info("dataset prepared", "train", marker.TrainCount, "test", marker.TestCount, "seconds", time.Since(started).Seconds())
	return nil
}

// checkCounts makes sure images and labels agree within each split (and,
// for the official data, that the splits have their published sizes). It
// returns the files to remove with the error.
func checkCounts(counts map[string]int, official bool) (bad []string, err error) {
	for _, pair := range [][2]string{{TrainImagesFile, TrainLabelsFile}, {TestImagesFile, TestLabelsFile}} {
		images, labels := counts[pair[0]], counts[pair[1]]
		if images != labels {
			return pair[:], fmt.Errorf("%w: %s holds %d images but %s holds %d labels; both were removed", ErrInvalidIDX, pair[0], images, pair[1], labels)
		}
	}
	if official && (counts[TrainImagesFile] != officialTrainCount || counts[TestImagesFile] != officialTestCount) {
		return DatasetFiles[:], fmt.Errorf("%w: the official dataset has %d training and %d test images, these files hold %d and %d; they were removed",
			ErrInvalidIDX, officialTrainCount, officialTestCount, counts[TrainImagesFile], counts[TestImagesFile])
	}
	return nil, nil
}

// checksums gets what the files must hash to: the published MD5s for the
// official source, SHA256SUMS from a custom source that has one.
func (d *Downloader) checksums(ctx context.Context, src datasetSource, log *slog.Logger) (checksums, error) {
	if src.official {
		return checksums{md5: officialMD5}, nil
	}
	m := src.mirrors[0]
	var data []byte
	err := d.retry(ctx, m, sumsFile, log, func(ctx context.Context) (bool, error) {
		watch := d.watchStalls(ctx)
		defer watch.stop()
		body, _, _, err := m.fetch.open(watch.ctx, sumsFile, 0)
		if err != nil {
			return false, watch.cause(err)
		}
		defer body.Close()
		watch.answered()
		data, err = io.ReadAll(io.LimitReader(watch.reader(body), 1<<20))
		return false, watch.cause(err)
	})
	if errors.Is(err, errNotFound) {
		log.Warn("the source has no " + sumsFile + "; files are checked as IDX only")
		return checksums{}, nil
	}
	if err != nil {
		return checksums{}, fmt.Errorf("fetch %s from %s: %w", sumsFile, m.label, err)
	}
	sha, err := parseSHA256Sums(data)
	if err != nil {
		return checksums{}, fmt.Errorf("%s: %w", m.label, err)
	}
	return checksums{sha256: sha}, nil
}

// prepareFile puts one verified file in place: it keeps a file already
// there that passes verification, otherwise downloads it from the first
// mirror that delivers a file that verifies.
func (d *Downloader) prepareFile(ctx context.Context, dir, name string, src datasetSource, sums checksums, inPlace bool, progress *progressReporter, log *slog.Logger) (verifiedFile, error) {
	log = log.With("file", name)
	final := filepath.Join(dir, name)
	part := final + ".part"
	if _, err := os.Stat(final); err == nil {
		v, err := verifyFile(final, name, sums)
		if err == nil {
			log.Info("file already in place and verified", "bytes", v.size)
			if !inPlace {
				os.Remove(part) // left over from an older attempt
			}
			progress.size[name] = v.size
			progress.report(name, v.size, true)
			return v, nil
		}
		if inPlace {
			return verifiedFile{}, fmt.Errorf("%s failed verification: %w", name, err)
		}
		log.Warn("file in place failed verification; downloading it again", "err", err)
		if err := os.Remove(final); err != nil {
			return verifiedFile{}, err
		}
	}

	var errs []error
	for _, m := range src.mirrors {
		mlog := log.With("mirror", m.label)
		err := d.download(ctx, m, name, part, progress, mlog)
		if err == nil {
			var v verifiedFile
			if v, err = verifyFile(part, name, sums); err == nil {
				if err := os.Rename(part, final); err != nil {
					return verifiedFile{}, fmt.Errorf("move %s into place: %w", name, err)
				}
				mlog.Info("file downloaded and verified", "bytes", v.size)
				return v, nil
			}
			os.Remove(part)
			err = fmt.Errorf("failed verification and was removed: %w", err)
		}
		if ctx.Err() != nil {
			return verifiedFile{}, fmt.Errorf("download %s: %w", name, context.Cause(ctx))
		}
		mlog.Warn("mirror failed", "err", err)
		errs = append(errs, fmt.Errorf("from %s: %w", m.label, err))
	}
	return verifiedFile{}, fmt.Errorf("%s: %w", name, joinErrors(errs))
}

// download fetches name from one mirror into part, resuming what part
// holds and retrying transient failures.
func (d *Downloader) download(ctx context.Context, m mirror, name, part string, progress *progressReporter, log *slog.Logger) error {
	return d.retry(ctx, m, name, log, func(ctx context.Context) (bool, error) {
		return d.fetchOnce(ctx, m, name, part, progress, log)
	})
}

// fetchOnce makes one attempt at the rest of the file. It reports whether
// any bytes arrived, so the retry loop knows the mirror is making progress.
func (d *Downloader) fetchOnce(ctx context.Context, m mirror, name, part string, progress *progressReporter, log *slog.Logger) (progressed bool, err error) {
	var offset int64
	if info, err := os.Stat(part); err == nil {
		offset = info.Size()
	}
	watch := d.watchStalls(ctx)
	defer watch.stop()
	ctx = watch.ctx

	body, start, size, err := m.fetch.open(ctx, name, offset)
	if err != nil {
		return false, watch.cause(err)
	}
	watch.answered()
	defer body.Close()
	if offset > 0 {
		if start == offset {
			log.Info("resuming download", "from", offset)
		} else {
			log.Info("mirror cannot resume; downloading from the start", "had", offset)
		}
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if start == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(part, flags, 0o600)
	if err != nil {
		return false, permanentError{err} // an *fs.PathError: it names part
	}
	defer f.Close()

	if size >= 0 {
		progress.size[name] = size
	}
	done := start
	progress.report(name, done, true)
	buf := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return done > start, watch.cause(err)
		}
		n, readErr := body.Read(buf)
		if n > 0 {
			watch.received()
			if _, err := f.Write(buf[:n]); err != nil {
				return done > start, permanentError{err}
			}
			done += int64(n)
			progress.report(name, done, false)
		}
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			return done > start, fmt.Errorf("read %s after %d bytes: %w", name, done, watch.cause(readErr))
		}
	}
	if size >= 0 && done != size {
		return done > start, fmt.Errorf("read %s: the transfer ended after %d of %d bytes: %w", name, done, size, io.ErrUnexpectedEOF)
	}
	if err := f.Sync(); err != nil {
		return true, permanentError{err}
	}
	if err := f.Close(); err != nil {
		return true, permanentError{err}
	}
	progress.size[name] = done
	progress.report(name, done, true)
	return true, nil
}

// retry runs attempt until it succeeds, fails permanently, or fails
// Attempts times in a row without progress, waiting with exponential
// backoff between attempts and telling Retrying about each wait. The
// attempt receives ctx; a cancelled ctx ends the loop at once. what is the
// file the attempt fetches from m.
func (d *Downloader) retry(ctx context.Context, m mirror, what string, log *slog.Logger, attempt func(context.Context) (bool, error)) error {
	maxAttempts := d.Attempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	failures := 0
	for {
		progressed, err := attempt(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, context.Cause(ctx))
		}
		if !isTransient(err) {
			return err
		}
		if progressed {
			failures = 0
		}
		failures++
		if failures >= maxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", failures, err)
		}
		wait := d.backoff(failures, err)
		log.Warn("transient failure; retrying", "what", what, "attempt", failures, "wait", wait, "err", err)
		if d.Retrying != nil {
			host := m.host()
			d.Retrying(fmnist.DownloadRetry{File: what, Mirror: host, Problem: describeFailure(err, host),
				Attempt: failures, Attempts: maxAttempts, Wait: wait})
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%s: %w", what, context.Cause(ctx))
		case <-timer.C:
		}
	}
}

// backoff is the wait after the n-th consecutive failure: Backoff doubled
// n-1 times, at least what a Retry-After header asked for, at most
// MaxBackoff.
func (d *Downloader) backoff(n int, err error) time.Duration {
	base, ceiling := d.Backoff, d.MaxBackoff
	if base <= 0 {
		base = time.Second
	}
	if ceiling <= 0 {
		ceiling = 30 * time.Second
	}
	wait := base << min(n-1, 20)
	var statusErr *httpStatusError
	if errors.As(err, &statusErr) && statusErr.retryAfter > wait {
		wait = statusErr.retryAfter
	}
	return min(wait, ceiling)
}

func (d *Downloader) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return defaultHTTPClient
}

func (d *Downloader) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

// progressReporter turns per-file byte counts into fmnist.DownloadProgress
// reports, throttled to one per progressInterval except when forced.
type progressReporter struct {
	fn   func(fmnist.DownloadProgress)
	size map[string]int64 // -1 while unknown
	done map[string]int64
	last time.Time
}

func newProgressReporter(fn func(fmnist.DownloadProgress)) *progressReporter {
	return &progressReporter{fn: fn, size: map[string]int64{}, done: map[string]int64{}}
}

func (p *progressReporter) report(name string, done int64, force bool) {
	p.done[name] = done
	if p.fn == nil || (!force && time.Since(p.last) < progressInterval) {
		return
	}
	p.last = time.Now()
	ev := fmnist.DownloadProgress{File: name, FileDone: done, FileTotal: p.size[name]}
	for _, f := range DatasetFiles {
		ev.Done += p.done[f]
		if ev.Total >= 0 {
			if s, ok := p.size[f]; ok && s >= 0 {
				ev.Total += s
			} else {
				ev.Total = -1
			}
		}
	}
	p.fn(ev)
}

// joinErrors is errors.Join on one line, for messages shown in the UI.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return joinedError(errs)
}

type joinedError []error

func (e joinedError) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e joinedError) Unwrap() []error { return e }

// sameDir reports whether a and b name the same existing directory.
func sameDir(a, b string) bool {
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(ai, bi)
}
