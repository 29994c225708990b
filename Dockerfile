# spectrum2 container image: a static binary on distroless, running as an unprivileged user.
#
#   docker build -t spectrum2 --build-arg VERSION=$(git describe --always --dirty) .
#   docker run -v $PWD/my.toml:/etc/spectrum2/spectrum2.toml:ro -v spectrum2:/var/lib/spectrum2 \
#       -p 5222:5222 -p 5223:5223 spectrum2
#
# The configuration must listen beyond loopback inside the container: service.server =
# "0.0.0.0" (and metrics.listen = "0.0.0.0:9090" to scrape it). data_dir and working_dir
# default to ./data and ./data/run, which land in the /var/lib/spectrum2 volume. Native backends
# (builtin:NAME) are this binary; external Spectrum 2 backends need an image of their own.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X github.com/gospectrum/spectrum2/server.Version=${VERSION}" \
        -o /out/spectrum2 . \
    && /out/spectrum2 version \
    && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/spectrum2 /usr/local/bin/spectrum2
COPY etc/spectrum2.toml /etc/spectrum2/spectrum2.toml
COPY --from=build --chown=65532:65532 /out/state /var/lib/spectrum2
WORKDIR /var/lib/spectrum2
USER 65532:65532
VOLUME ["/var/lib/spectrum2"]
EXPOSE 5222 5223
# spectrum2 status asks the daemon over its admin socket in working_dir.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s \
    CMD ["/usr/local/bin/spectrum2", "status", "--config", "/etc/spectrum2/spectrum2.toml"]
ENTRYPOINT ["/usr/local/bin/spectrum2"]
CMD ["run", "--config", "/etc/spectrum2/spectrum2.toml"]
