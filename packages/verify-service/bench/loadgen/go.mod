module licensor.local/verify-bench/loadgen

go 1.22
