// A minimal h2c server (HTTP/2 cleartext, prior knowledge) from Go's standard library, for the
// h2c benchmark (bench/h2c.ts): the instance the proxies are compared in front of. Built static
// (CGO_ENABLED=0) into a FROM scratch image. It answers every request with a short body, as the
// HTTP/1.1 fixture does, and logs nothing (what a log line costs is measured by bench/router.ts).
package main

import (
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	revision := []byte("K_REVISION=" + os.Getenv("K_REVISION") + "\n")
	hostname, _ := os.Hostname()
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	server := &http.Server{
		Addr:      ":" + port,
		Protocols: &protocols,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("content-type", "text/plain")
			w.Header().Set("x-instance", hostname)
			w.Header().Set("x-proto", r.Proto)
			w.Write(revision)
		}),
	}
	if err := server.ListenAndServe(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
