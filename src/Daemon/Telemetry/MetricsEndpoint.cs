using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Sync.Daemon.Configuration;

namespace Sync.Daemon.Telemetry;

/// <summary>
/// Where Prometheus scrapes (metrics:listen). The exporter's HttpListener can bind only an IPv4 address or a name
/// (it refuses 0.0.0.0, cannot parse an IPv6 prefix at all, and answers only requests whose Host header names its
/// prefix), so it serves on an internal loopback port and a socket bound to exactly metrics:listen (any IPv4 or
/// IPv6 address, 0.0.0.0, [::] dual-stack, a name) answers each scrape from it. The address is bound before
/// anything starts, so a port in use is one line naming the key (exit 78), not a stack trace from the exporter.
/// </summary>
public sealed class MetricsEndpoint : IHostedService, IDisposable
{
    private readonly Socket? _front;
    private readonly int _innerPort;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    private MetricsEndpoint(string exporterHost, int exporterPort, Socket? front, int innerPort)
    {
        ExporterHost = exporterHost;
        ExporterPort = exporterPort;
        _front = front;
        _innerPort = innerPort;
    }

    /// <summary>Where the exporter's HttpListener serves: metrics:listen itself, or the internal loopback port behind the relay.</summary>
    public string ExporterHost { get; }
    public int ExporterPort { get; }

    /// <summary>The bound address (for tests and logs).</summary>
    public EndPoint? RelayEndPoint => _front?.LocalEndPoint;

    /// <summary>Binds metrics:listen; null and a one-line problem naming the key when it cannot.</summary>
    public static MetricsEndpoint? Bind(MetricsOptions options, out string problem)
    {
        problem = "";
        IPAddress address;
        try
        {
            address = IPAddress.TryParse(options.Host, out var literal) ? literal : Dns.GetHostAddresses(options.Host)[0];
        }
        catch (Exception e) when (e is SocketException or IndexOutOfRangeException or ArgumentException)
        {
            problem = $"metrics:listen = {options.Listen}: '{options.Host}' does not resolve ({e.Message}): use an address of this host";
            return null;
        }
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true; // [::] takes IPv4 scrapes too, as an operator expects
            }
            socket.Bind(new IPEndPoint(address, options.Port));
            socket.Listen(64);
            int inner = FreeLoopbackPort();
            return new MetricsEndpoint("127.0.0.1", inner, socket, inner);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            problem = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse =>
                    $"metrics:listen = {options.Listen}: port {options.Port} is in use: choose a free port or stop what holds it (ss -ltnp 'sport = :{options.Port}')",
                SocketError.AddressNotAvailable =>
                    $"metrics:listen = {options.Listen}: {address} is not an address of this host: use one of its addresses, 0.0.0.0 or [::]",
                SocketError.AccessDenied =>
                    $"metrics:listen = {options.Listen}: port {options.Port} needs privileges: use a port above 1023",
                _ => $"metrics:listen = {options.Listen}: cannot listen ({e.SocketErrorCode}: {e.Message})",
            };
            return null;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_front is not null)
        {
            _accepting = Task.Run(AcceptLoop, CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _front!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            _ = Task.Run(() => Relay(client), CancellationToken.None);
        }
    }

    /// <summary>
    /// One scrape: reads the request head, asks the exporter for the same path (with the scraper's Accept header, so
    /// OpenMetrics negotiation still works), answers with its status, content type and body, and closes. The
    /// exporter's HttpListener matches requests by their Host header, so the request is re-issued, not forwarded.
    /// </summary>
    private async Task Relay(Socket client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            var head = await ReadHead(stream, timeout.Token).ConfigureAwait(false);
            var lines = head.Split("\r\n");
            var request = lines[0].Split(' ');
            if (request.Length != 3 || !request[1].StartsWith('/'))
            {
                await Answer(stream, 400, "text/plain", "bad request\n"u8.ToArray(), false, timeout.Token).ConfigureAwait(false);
                return;
            }
            if (request[0] is not ("GET" or "HEAD"))
            {
                await Answer(stream, 405, "text/plain", "use GET\n"u8.ToArray(), false, timeout.Token).ConfigureAwait(false);
                return;
            }
            using var inner = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_innerPort}{request[1]}");
            var accept = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Accept:", StringComparison.OrdinalIgnoreCase));
            if (accept is not null)
            {
                inner.Headers.TryAddWithoutValidation("Accept", accept["Accept:".Length..].Trim());
            }
            using var response = await Exporter.SendAsync(inner, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            var type = response.Content.Headers.ContentType?.ToString() ?? "text/plain";
            await Answer(stream, (int)response.StatusCode, type, body, request[0] == "HEAD", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException
            or HttpRequestException or InvalidDataException)
        {
            // The scraper went away, sent garbage or timed out: nothing to answer.
        }
    }

    private static readonly HttpClient Exporter = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static async Task<string> ReadHead(NetworkStream stream, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        int length = 0;
        while (true)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidDataException("closed before the request head ended");
            }
            length += read;
            int end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return System.Text.Encoding.ASCII.GetString(buffer, 0, end);
            }
            if (length == buffer.Length)
            {
                throw new InvalidDataException("request head over 16 KiB");
            }
        }
    }

    private static async Task Answer(NetworkStream stream, int status, string contentType, byte[] body, bool headOnly, CancellationToken token)
    {
        var head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), token).ConfigureAwait(false);
        if (!headOnly)
        {
            await stream.WriteAsync(body, token).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _front?.Dispose();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _front?.Dispose();
        _stop.Dispose();
    }
}
