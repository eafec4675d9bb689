// The pod sandbox ("pause") image of the real-node tier: no registry is reachable, so containerd's
// sandbox_image is this static program instead of registry.k8s.io/pause. Like the upstream pause it holds the
// pod's namespaces, reaps zombies (it is PID 1 of the sandbox) and exits on SIGINT/SIGTERM.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
