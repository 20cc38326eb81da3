# virtsyncd serve in a container: the host-side virtio-rtc vhost-user back end.
#   docker build -t virtsyncd .
#   docker run -d -v /run/virtsync:/run/virtsync virtsyncd            # QEMU connects to /run/virtsync/vhost-rtc.sock
#   docker run ... virtsyncd --metrics 0.0.0.0:10123 (metrics listen on loopback unless told otherwise)
# The publish command is the one CI and deploy/install.sh run.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang lld zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Daemon -c Release -r linux-x64 -p:PublishAot=true -o /out

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
RUN groupadd --system virtsync \
 && useradd --system --gid virtsync --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin virtsync \
 && install -d -o virtsync -g virtsync -m 0770 /run/virtsync
COPY --from=build /out/virtsyncd /usr/local/bin/virtsyncd
USER virtsync
WORKDIR /run/virtsync
VOLUME /run/virtsync
ENTRYPOINT ["/usr/local/bin/virtsyncd","serve"]
