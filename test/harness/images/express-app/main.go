// The Express test app of the real-node tier: one container per Express node pod, managed by a StatefulSet
// (test/harness/express-simulator.ts, mode "statefulset"). It behaves like a stateful server that needs time to
// start and to drain, which is what the operator's bounce has to respect:
//
//   - GET /healthz answers 503 for STARTUP_DELAY (startupProbe), then 200;
//   - GET /ready answers 200 once started, unless readiness was switched off (READY_INITIAL=false, or
//     POST /admin/ready?value=false) or the app is draining (readinessProbe);
//   - on SIGTERM it logs "SIGTERM received: draining for <SHUTDOWN_DELAY>", keeps serving (503 on /ready) for
//     SHUTDOWN_DELAY, logs "drained, exiting" and exits 0. The e2e tests read these lines from the old
//     container's log to prove the kubelet delivered SIGTERM and honoured the grace period.
//
// Every log line carries the pod name and a millisecond timestamp so timelines can be reconstructed.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

func envDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(n * float64(time.Second))
	}
	logf("invalid %s=%q, using %s", name, v, def)
	return def
}

func logf(format string, args ...any) {
	host, _ := os.Hostname()
	fmt.Fprintf(os.Stdout, "%s %s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), host, fmt.Sprintf(format, args...))
}

func main() {
	startupDelay := envDuration("STARTUP_DELAY", 3*time.Second)
	shutdownDelay := envDuration("SHUTDOWN_DELAY", 5*time.Second)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	var started, draining atomic.Bool
	var ready atomic.Bool
	ready.Store(os.Getenv("READY_INITIAL") != "false")
	logf("starting: startup delay %s, shutdown delay %s, ready flag %v", startupDelay, shutdownDelay, ready.Load())

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !started.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if !started.Load() || draining.Load() || !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/admin/ready", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		v := r.URL.Query().Get("value") != "false"
		ready.Store(v)
		logf("readiness flag set to %v", v)
		fmt.Fprintln(w, v)
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			logf("listen: %v", err)
			os.Exit(1)
		}
	}()

	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	startTimer := time.NewTimer(startupDelay)
	for {
		select {
		case <-startTimer.C:
			started.Store(true)
			logf("started: serving /healthz and /ready on :%s", port)
			continue
		case s := <-term:
			draining.Store(true)
			name := "SIGTERM"
			if s == syscall.SIGINT {
				name = "SIGINT"
			}
			logf("%s received: draining for %s", name, shutdownDelay)
			time.Sleep(shutdownDelay)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = srv.Shutdown(ctx)
			cancel()
			logf("drained, exiting")
			os.Exit(0)
		}
	}
}
