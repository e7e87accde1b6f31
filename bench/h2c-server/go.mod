module skiff-run/bench/h2c-server

go 1.24
