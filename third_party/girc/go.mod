module github.com/lrstanley/girc

go 1.23
