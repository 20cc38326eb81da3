using System.Runtime.InteropServices;
using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Tests.Linux;

/// <summary>A scripted PHC: per-request handlers (fill the buffer, return errno), call log, open/close counts.</summary>
internal sealed class FakePtpIoctl : IPtpIoctl
{
    public delegate int Handler(Span<byte> argument);

    private readonly Dictionary<uint, Queue<Handler>> _scripted = [];

    public Dictionary<uint, Handler> Handlers { get; } = [];
    public List<string> Calls { get; } = [];
    public int OpenErrno { get; set; }
    public int Opens { get; private set; }
    public int Closes { get; private set; }
    public bool IsOpen { get; private set; }
    public Func<(int Errno, long Ns)> DeviceClock { get; set; } = () => (Errno.EINVAL, 0);
    public long RealtimeNs { get; set; } = 1_700_000_000_000_000_000;
    public long RealtimeStepNs { get; set; } = 1_000;

    public int Open(string path)
    {
        Calls.Add("open");
        Opens++;
        if (OpenErrno != 0) return OpenErrno;
        IsOpen = true;
        return 0;
    }

    public void Close()
    {
        if (!IsOpen) return;
        Closes++;
        IsOpen = false;
    }

    /// <summary>Handlers used once each, in order, before falling back to <see cref="Handlers"/>.</summary>
    public void Script(uint request, params Handler[] handlers)
    {
        if (!_scripted.TryGetValue(request, out var queue)) _scripted[request] = queue = new Queue<Handler>();
        foreach (var handler in handlers) queue.Enqueue(handler);
    }

    public int Ioctl(uint request, Span<byte> argument)
    {
        Calls.Add(PtpRequests.Name(request));
        if (!IsOpen) return 9; // EBADF
        if (_scripted.TryGetValue(request, out var queue) && queue.Count > 0) return queue.Dequeue()(argument);
        return Handlers.TryGetValue(request, out var handler) ? handler(argument) : Errno.ENOTTY;
    }

    public int ReadDeviceClock(out long nanoseconds)
    {
        Calls.Add("clock_gettime(phc)");
        var (errno, ns) = DeviceClock();
        nanoseconds = ns;
        return errno;
    }

    public int ReadRealtime(out long nanoseconds)
    {
        RealtimeNs += RealtimeStepNs;
        nanoseconds = RealtimeNs;
        return 0;
    }

    public void Dispose() => Close();

    public static Handler Fail(int errno) => _ => errno;

    public static ref T As<T>(Span<byte> argument) where T : unmanaged => ref MemoryMarshal.AsRef<T>(argument);
}
