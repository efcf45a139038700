// Command fmnist trains and evaluates a convolutional network on
// Fashion-MNIST and lets you watch it learn in a browser.
//
//	fmnist [serve] [flags]   the web app (the default)
//	fmnist prepare [flags]   download and verify the dataset
//	fmnist train [flags]     train headless, with progress in the terminal
//	fmnist watch [flags]     follow a server's run in the terminal
//	fmnist export --run ID   download a run's model (bundle, ONNX, safetensors)
//	fmnist import FILE       load a .fmnist bundle into a server as a run
//
// Run a subcommand with -h for its flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// exitUsage is the exit status for bad flags or a start-up that cannot
// proceed (port taken, unwritable data dir): the user has to change something.
const exitUsage = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a graceful stop; once it has arrived, the
	// default handling is back, so a second Ctrl-C ends the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "prepare":
		return runPrepare(ctx, args, stdout, stderr)
	case "train":
		return runTrain(ctx, args, stdout, stderr)
	case "watch":
		return runWatch(ctx, args, stdout, stderr)
	case "export":
		return runExport(ctx, args, stdout, stderr)
	case "import":
		return runImport(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, "usage: fmnist [serve|prepare|train|watch|export|import] [flags]  (fmnist CMD -h lists a command's flags)")
		return 0
	default:
		fmt.Fprintf(stderr, "fmnist: unknown command %q (want serve, prepare, train, watch, export or import)\n", cmd)
		return exitUsage
	}
}
