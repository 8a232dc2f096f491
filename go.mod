module github.com/ramsync/ramsync

go 1.26
