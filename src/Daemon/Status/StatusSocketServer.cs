using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Daemon.Hosting;

namespace Sync.Daemon.Status;

/// <summary>
/// The read-only control socket: a Unix stream socket that answers every connection with the current status as
/// JSON and closes it. It reads nothing from clients, so a client can do no harm; mode 0666 lets any local user
/// run `virtsyncd status`. A stale socket file from a previous run is replaced.
/// </summary>
public sealed class StatusSocketServer : BackgroundService
{
    private readonly string _path;
    private readonly ISyncStatusProvider _provider;
    private readonly ILogger _logger;
    private Socket? _listener;
    private volatile bool _stopping;

    private readonly Chrony.ChronySockRefclock? _chrony;
    private readonly string _chronyReading;

    public StatusSocketServer(string path, ISyncStatusProvider provider, ILogger<StatusSocketServer>? logger = null,
        Chrony.ChronySockRefclock? chrony = null, string chronyReading = "")
    {
        _chrony = chrony;
        _chronyReading = chronyReading;
        _path = path;
        _provider = provider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        if (File.Exists(_path))
        {
            if (SomeoneListens(_path))
                throw new InvalidOperationException($"another virtsyncd answers on {_path}: stop it first or set status:socketPath");
            File.Delete(_path);
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_path));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        listener.Listen(16);
        _listener = listener;
        return base.StartAsync(cancellationToken);
    }

    private static bool SomeoneListens(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = _listener!;
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            // Stopping closes the listener under a pending accept, which then fails with OperationAborted: not a fault.
            catch (SocketException) when (_stopping || stoppingToken.IsCancellationRequested) { break; }
            catch (SocketException e)
            {
                _logger.LogWarning("status socket: accept failed: {Error}", e.SocketErrorCode);
                continue;
            }
            _ = AnswerAsync(client, stoppingToken);
        }
    }

    /// <summary>The bytes a client receives now.</summary>
    public byte[] CurrentReplyBytes() => JsonSerializer.SerializeToUtf8Bytes(CurrentReply(), StatusJsonContext.Default.StatusReply);

    private StatusReply CurrentReply() => _provider.Current is { } snapshot
        ? new StatusReply { Status = StatusDocument.From(snapshot) with { Chrony = _chrony is null ? null : StatusChrony.From(_chrony, _chronyReading) } }
        : new StatusReply { Message = "starting: no status yet" };

    private async Task AnswerAsync(Socket client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await client.SendAsync(CurrentReplyBytes(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                _logger.LogDebug("status socket: client went away: {Error}", e.Message);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Cancel the accept first (the loop ends on the token), then close the listener.
        _stopping = true;
        try
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _listener?.Dispose();
            try { File.Delete(_path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        base.Dispose();
    }
}
