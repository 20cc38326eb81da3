using System.Text;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// The receiving end of $NOTIFY_SOCKET, as systemd (or fdstore.py) runs it: a bound Unix datagram socket in the
/// abstract namespace, read on its own thread (senders block once ten datagrams queue up), applying FDSTORE=1 and
/// FDSTOREREMOVE=1 with FDNAME= to an <see cref="InMemoryFdStore"/>. <see cref="Flush"/> sends a marker and waits
/// until everything sent before it has been applied.
/// </summary>
internal sealed unsafe class NotifySocketFdStoreReceiver : IDisposable
{
    private readonly int _socketFd;
    private readonly int _stopFd;
    private readonly Thread _thread;
    private readonly List<string> _unexpected = new();
    private readonly SemaphoreSlim _flushed = new(0);
    private int _flushCount;

    public NotifySocketFdStoreReceiver()
    {
        Address = $"@virtsync-test-fdstore-{Guid.NewGuid():N}";
        _socketFd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        var address = new byte[2 + LibC.SockaddrUnPathLength];
        int length = LibC.FillSockaddrUnOrAbstract(address, Address);
        fixed (byte* pointer = address)
        {
            Assert.Equal(0, LibC.Bind(_socketFd, pointer, (uint)length));
        }
        _stopFd = EventFds.Create();
        _thread = new Thread(Receive) { IsBackground = true, Name = "test-notify-socket" };
        _thread.Start();
    }

    /// <summary>The $NOTIFY_SOCKET value ("@name").</summary>
    public string Address { get; }

    public InMemoryFdStore Store { get; } = new();

    public IReadOnlyList<string> Unexpected
    {
        get
        {
            lock (_unexpected)
            {
                return _unexpected.ToArray();
            }
        }
    }

    /// <summary>Waits until every datagram sent before this call has been applied.</summary>
    public void Flush()
    {
        int marker = Interlocked.Increment(ref _flushCount);
        int fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        var address = new byte[2 + LibC.SockaddrUnPathLength];
        int length = LibC.FillSockaddrUnOrAbstract(address, Address);
        byte[] text = Encoding.ASCII.GetBytes($"TESTFLUSH={marker}");
        fixed (byte* data = text)
        fixed (byte* name = address)
        {
            var iov = new LibC.IoVec { Base = data, Length = (nuint)text.Length };
            var header = new LibC.MsgHdr { Name = name, NameLength = (uint)length, Iov = &iov, IovLength = 1 };
            Assert.Equal(text.Length, (int)LibC.SendMsg(fd, &header, 0));
        }
        LibC.Close(fd);
        Assert.True(_flushed.Wait(VhostUserTestFrontEnd.WaitMs), "the notify socket thread did not get the flush marker");
    }

    private void Receive()
    {
        var buffer = new byte[4096];
        int controlLength = LibC.CmsgSpace(16 * sizeof(int));
        byte* control = stackalloc byte[controlLength];
        var polls = stackalloc LibC.PollFd[2];
        while (true)
        {
            polls[0] = new LibC.PollFd { Fd = _socketFd, Events = LibC.POLLIN };
            polls[1] = new LibC.PollFd { Fd = _stopFd, Events = LibC.POLLIN };
            if (LibC.Poll(polls, 2, -1) < 0)
            {
                continue;
            }
            if (polls[1].Revents != 0)
            {
                return;
            }
            nint received;
            var fds = new List<int>();
            fixed (byte* data = buffer)
            {
                var iov = new LibC.IoVec { Base = data, Length = (nuint)buffer.Length };
                var header = new LibC.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                received = LibC.RecvMsg(_socketFd, &header, LibC.MSG_CMSG_CLOEXEC);
                if (received < 0)
                {
                    continue;
                }
                byte* cursor = control;
                if (header.ControlLength >= (nuint)LibC.CmsgHeaderSize)
                {
                    long length = (long)*(nuint*)cursor;
                    int count = (int)((length - LibC.CmsgHeaderSize) / sizeof(int));
                    for (int i = 0; i < count; i++)
                    {
                        fds.Add(((int*)(cursor + LibC.CmsgHeaderSize))[i]);
                    }
                }
            }
            Apply(Encoding.ASCII.GetString(buffer, 0, (int)received), fds);
        }
    }

    private void Apply(string message, List<int> fds)
    {
        if (message.StartsWith("TESTFLUSH=", StringComparison.Ordinal))
        {
            _flushed.Release();
            return;
        }
        var lines = message.Split('\n');
        string? name = lines.FirstOrDefault(l => l.StartsWith("FDNAME=", StringComparison.Ordinal))?["FDNAME=".Length..];
        if (lines.Contains("FDSTORE=1") && name is not null && fds.Count == 1)
        {
            Store.Adopt(name, fds[0]);
            return;
        }
        if (lines.Contains("FDSTOREREMOVE=1") && name is not null && fds.Count == 0)
        {
            Store.Remove(name);
            return;
        }
        lock (_unexpected)
        {
            _unexpected.Add($"{message.Replace('\n', '|')} with {fds.Count} fds");
        }
        fds.ForEach(fd => LibC.Close(fd));
    }

    public void Dispose()
    {
        EventFds.Signal(_stopFd);
        _thread.Join();
        LibC.Close(_socketFd);
        LibC.Close(_stopFd);
        Store.Dispose();
    }
}
