using System.Buffers.Binary;
using System.Diagnostics;
using Sync.Clock.VhostUser;
using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;

namespace Sync.Bench;

/// <summary>
/// Many vhost-user front ends written from the spec (the way QEMU 11 sets up vhost-user-rtc-pci), driven from one
/// thread with epoll on their call eventfds. Each VM: a sealed 64 KiB memfd as guest memory, requestq (16 entries)
/// at 0, one READ of clock 0 in flight at a time. Or, for a baseline, the same number of eventfd pairs answered by
/// an echo thread that does nothing but read the kick and write the call (<see cref="ConnectEcho"/>): what the
/// machine's wake-ups alone cost for the same traffic.
/// </summary>
internal sealed unsafe class LoadClients : IDisposable
{
    private const int MemoryBytes = 64 * 1024;
    private const ushort QueueSize = 16;
    private const ulong RequestAddress = 0x8000;
    private const ulong ResponseAddress = 0x8100;
    private const ulong ProtocolFeaturesBit = 1ul << 30;
    private const ulong Version1 = 1ul << 32;

    private readonly string _socket;
    private readonly List<IEndpoint> _vms = [];
    private readonly int _epoll;
    private EchoThread? _echo;

    public LoadClients(string socket)
    {
        _socket = socket;
        _epoll = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
    }

    public int Count => _vms.Count;

    /// <summary>What the driving thread needs of one VM (a vhost-user front end, or an echoed eventfd pair).</summary>
    private interface IEndpoint : IDisposable
    {
        int CallFd { get; }
        bool InFlight { get; }
        long PostedAt { get; }
        void Post();
        bool TryComplete(out bool ok);
    }

    /// <summary>Connects and sets up <paramref name="count"/> VMs; returns how many the back end refused (closed during the handshake).</summary>
    public int Connect(int count)
    {
        int refused = 0;
        for (int i = 0; i < count; i++)
        {
            var vm = Vm.Open(_socket);
            if (vm is null)
            {
                refused++;
                continue;
            }
            Add(vm);
        }
        return refused;
    }

    /// <summary>
    /// <paramref name="count"/> kick/call eventfd pairs answered by one echo thread of this process (epoll on the kicks,
    /// drain, write the call): the same wake-up pattern as serve with no service work at all.
    /// </summary>
    public void ConnectEcho(int count)
    {
        _echo ??= new EchoThread();
        for (int i = 0; i < count; i++)
        {
            Add(_echo.Add());
        }
        _echo.Start();
    }

    private void Add(IEndpoint vm)
    {
        LibC.EpollControl(_epoll, LibC.EPOLL_CTL_ADD, vm.CallFd, LibC.EPOLLIN, (ulong)_vms.Count);
        _vms.Add(vm);
    }

    /// <summary>One churn cycle: connect, handshake, one READ, close. False if any step failed.</summary>
    public bool Cycle()
    {
        using var vm = Vm.Open(_socket);
        if (vm is null)
        {
            return false;
        }
        vm.Post();
        var poll = new LibC.PollFd { Fd = vm.CallFd, Events = LibC.POLLIN };
        if (LibC.Poll(&poll, 1, 5000) != 1)
        {
            return false;
        }
        EventFds.Drain(vm.CallFd);
        return vm.TryComplete(out bool ok) && ok;
    }

    /// <summary>
    /// Issue 12's fault-isolation target, over the real socket: a front end hands serve guest memory it can still
    /// shrink (a memfd without F_SEAL_SHRINK), truncates it to 0 right after SET_MEM_TABLE and kicks. Mapping it and
    /// touching it would be SIGBUS for serve and every VM; serve must end this connection instead. Returns whether
    /// serve closed the socket within 5 s of the truncation, and what happened.
    /// </summary>
    public static (bool Ended, string Detail) TruncatingFrontEnd(string socketPath)
    {
        int fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        byte* address = stackalloc byte[2 + LibC.SockaddrUnPathLength];
        int length = LibC.FillSockaddrUn(new Span<byte>(address, 2 + LibC.SockaddrUnPathLength), socketPath);
        if (fd < 0 || LibC.Connect(fd, address, (uint)length) != 0)
        {
            LibC.CloseQuietly(fd);
            return (false, "could not connect");
        }
        using var vm = new Vm(fd, sealMemory: false);
        bool handshake = vm.Handshake(); // serve refuses the memory table, so this fails part-way
        int truncated = LibC.Ftruncate(vm.MemoryFd, 0);
        vm.Kick(); // no write to the (now empty) mapping: that would be SIGBUS here
        var watch = Stopwatch.StartNew();
        bool ended = vm.WaitClosedByBackEnd(5000);
        return (ended, $"handshake {(handshake ? "completed" : "refused")}, truncate {(truncated == 0 ? "done" : "failed")}, "
            + (ended ? $"socket closed by serve {watch.Elapsed.TotalMilliseconds:0} ms after the truncation" : "socket still open after 5 s"));
    }

    public sealed class Result(int capacity)
    {
        public long Served;
        public long Errors;
        public long Unanswered;
        public double WallSeconds;
        /// <summary>Round trips: from just before the kick (eventfd write after the READ was made available) to the return of the epoll_wait that reported its call eventfd.</summary>
        public Samples LatenciesNs = new(capacity);
        /// <summary>How late each READ was posted against its schedule (this thread busy or not running): not in the round trip, reported beside it.</summary>
        public Samples PostLagNs = new(capacity);

        public double Percentile(double p) => LatenciesNs.Percentile(p);
    }

    /// <summary>Values kept in an array sized up front: recording allocates nothing, so no GC runs while measuring.</summary>
    public sealed class Samples(int capacity)
    {
        private readonly long[] _values = new long[Math.Max(1, capacity)];
        private bool _sorted;

        public int Count { get; private set; }

        public void Add(long value)
        {
            if (Count < _values.Length)
            {
                _values[Count++] = value;
                _sorted = false;
            }
        }

        public double Percentile(double p)
        {
            if (Count == 0)
            {
                return double.NaN;
            }
            if (!_sorted)
            {
                Array.Sort(_values, 0, Count);
                _sorted = true;
            }
            return _values[Math.Min(Count - 1, (int)(p * Count))];
        }
    }

    /// <summary>
    /// Each VM sends <paramref name="rate"/> READs per second, spread evenly over the VMs, for <paramref name="seconds"/>.
    /// The thread sleeps in epoll_wait until the next millisecond tick and then posts every READ that fell due meanwhile
    /// (a batch of about rate x VMs / 1000 kicks): it never spins, so it leaves the CPU to serve. Each batch's lateness
    /// against the schedule is reported separately (post lag); the round trip runs from the kick to the call event.
    /// </summary>
    public Result Drive(double rate, double seconds)
    {
        var result = new Result(rate <= 0 ? 1 : (int)Math.Min(int.MaxValue / 2, rate * _vms.Count * seconds * 1.05 + 1024));
        var start = Stopwatch.GetTimestamp();
        long durationTicks = (long)(seconds * Stopwatch.Frequency);
        if (rate <= 0 || _vms.Count == 0)
        {
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            result.WallSeconds = seconds;
            return result;
        }
        RequestShortSlice();
        double intervalTicks = Stopwatch.Frequency / (rate * _vms.Count); // between two posts, over all VMs
        long msTicks = Stopwatch.Frequency / 1000;
        long posts = 0;
        byte* events = stackalloc byte[LibC.EpollEventBytes * 256];
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now - start >= durationTicks)
            {
                break;
            }
            // Post every READ that is due (round robin); a VM whose last READ is unanswered skips its turn.
            while (start + (long)(posts * intervalTicks) <= now)
            {
                var vm = _vms[(int)(posts % _vms.Count)];
                if (vm.InFlight)
                {
                    result.Unanswered++;
                }
                else
                {
                    vm.Post();
                    result.PostLagNs.Add((long)((vm.PostedAt - (start + (long)(posts * intervalTicks))) * 1e9 / Stopwatch.Frequency));
                }
                posts++;
            }
            long nextDue = start + (long)(posts * intervalTicks);
            // Round up to whole milliseconds, at least 1: never a busy poll.
            int timeoutMs = (int)Math.Clamp((nextDue - Stopwatch.GetTimestamp() + msTicks - 1) / msTicks, 1, 100);
            int ready = LibC.EpollWait(_epoll, events, 256, timeoutMs);
            long done = Stopwatch.GetTimestamp();
            for (int i = 0; i < ready; i++)
            {
                var vm = _vms[(int)LibC.EpollData(events, i)];
                EventFds.Drain(vm.CallFd);
                long postedAt = vm.PostedAt;
                while (vm.TryComplete(out bool ok))
                {
                    result.Served++;
                    if (!ok)
                    {
                        result.Errors++;
                    }
                    result.LatenciesNs.Add((long)((done - postedAt) * 1e9 / Stopwatch.Frequency));
                }
            }
        }
        result.WallSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        LeaveRealtime();
        return result;
    }

    /// <summary>
    /// SCHED_FIFO priority of the load and echo threads while they drive READs (serve-load --realtime, which gives serve
    /// the same serve:realtimePriority); 0: the normal scheduler with the shortest slice.
    /// </summary>
    public static int RealtimePriority { get; set; }

    /// <summary>The client's threads ask for what serve's loop asks for (the shortest slice, or SCHED_FIFO), so they wake promptly too.</summary>
    private static void RequestShortSlice()
    {
        int errno;
        if (RealtimePriority > 0)
        {
            if (SchedulingSlice.TryRequestRealtimeForCurrentThread(RealtimePriority, out errno))
            {
                return;
            }
            Console.Error.WriteLine($"serve-load: no SCHED_FIFO {RealtimePriority} for the load thread (errno {errno}; root, CAP_SYS_NICE or ulimit -r needed)");
        }
        if (!SchedulingSlice.TryRequestForCurrentThread(SchedulingSlice.ShortestNs, out errno))
        {
            Console.Error.WriteLine($"serve-load: no short scheduler slice for the load thread (errno {errno})");
        }
    }

    /// <summary>Back to SCHED_OTHER after driving: the churn and the reporting that follow must not run ahead of everyone else's work.</summary>
    private static void LeaveRealtime()
    {
        if (RealtimePriority > 0)
        {
            var attributes = default(LibC.SchedAttr);
            attributes.Size = (uint)sizeof(LibC.SchedAttr);
            attributes.Policy = LibC.SCHED_OTHER;
            attributes.Runtime = SchedulingSlice.ShortestNs;
            LibC.SchedSetattr(LibC.GetTid(), &attributes);
        }
    }

    public void Dispose()
    {
        _echo?.Dispose();
        _echo = null;
        foreach (var vm in _vms)
        {
            vm.Dispose();
        }
        _vms.Clear();
        LibC.CloseQuietly(_epoll);
    }

    /// <summary>The baseline's "device": one thread, one epoll set over every kick eventfd; each kick is drained and answered on the call eventfd.</summary>
    private sealed class EchoThread : IDisposable
    {
        private readonly int _epoll = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        private readonly int _stopFd = EventFds.Create();
        private readonly List<(int Kick, int Call)> _pairs = [];
        private Thread? _thread;

        public EchoThread() => LibC.EpollControl(_epoll, LibC.EPOLL_CTL_ADD, _stopFd, LibC.EPOLLIN, ulong.MaxValue);

        public IEndpoint Add()
        {
            var endpoint = new EchoEndpoint(EventFds.Create(), EventFds.Create());
            LibC.EpollControl(_epoll, LibC.EPOLL_CTL_ADD, endpoint.KickFd, LibC.EPOLLIN, (ulong)_pairs.Count);
            _pairs.Add((endpoint.KickFd, endpoint.CallFd));
            return endpoint;
        }

        public void Start()
        {
            _thread ??= new Thread(Run) { IsBackground = true, Name = "serve-load-echo" };
            if (!_thread.IsAlive)
            {
                _thread.Start();
            }
        }

        private void Run()
        {
            RequestShortSlice(); // as serve's loop does
            byte* events = stackalloc byte[LibC.EpollEventBytes * 256];
            while (true)
            {
                int ready = LibC.EpollWait(_epoll, events, 256, -1);
                for (int i = 0; i < ready; i++)
                {
                    ulong tag = LibC.EpollData(events, i);
                    if (tag == ulong.MaxValue)
                    {
                        return;
                    }
                    var (kick, call) = _pairs[(int)tag];
                    EventFds.Drain(kick);
                    EventFds.Signal(call);
                }
            }
        }

        public void Dispose()
        {
            EventFds.Signal(_stopFd);
            _thread?.Join();
            LibC.CloseQuietly(_stopFd);
            LibC.CloseQuietly(_epoll);
        }
    }

    private sealed class EchoEndpoint(int kickFd, int callFd) : IEndpoint
    {
        public int KickFd { get; } = kickFd;
        public int CallFd { get; } = callFd;
        public bool InFlight { get; private set; }
        public long PostedAt { get; private set; }

        public void Post()
        {
            InFlight = true;
            PostedAt = Stopwatch.GetTimestamp();
            EventFds.Signal(KickFd);
        }

        public bool TryComplete(out bool ok)
        {
            ok = InFlight;
            InFlight = false;
            return ok;
        }

        public void Dispose()
        {
            LibC.CloseQuietly(KickFd);
            LibC.CloseQuietly(CallFd);
        }
    }

    /// <summary>One VM's front end: socket, guest memory, requestq ring and its eventfds.</summary>
    private sealed class Vm : IEndpoint
    {
        private readonly int _socketFd;
        private readonly int _memFd;
        private readonly byte* _memory;
        private readonly UnixStreamChannel _channel;
        private readonly SplitVirtqueueDriver _driver;
        private readonly int _kickFd;
        public int CallFd { get; }
        public bool InFlight { get; private set; }
        public long PostedAt { get; private set; }

        public Vm(int socketFd, bool sealMemory = true)
        {
            _socketFd = socketFd;
            _channel = new UnixStreamChannel(socketFd, -1, () => false);
            _memFd = LibC.MemfdCreate("serve-load", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
            LibC.Ftruncate(_memFd, MemoryBytes);
            if (sealMemory)
            {
                LibC.Fcntl(_memFd, LibC.F_ADD_SEALS, LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_SEAL);
            }
            _memory = (byte*)LibC.Mmap(0, MemoryBytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, _memFd, 0);
            _driver = new SplitVirtqueueDriver(new Memory(_memory), SplitVirtqueueLayout.Contiguous(0, QueueSize));
            _kickFd = EventFds.Create();
            CallFd = EventFds.Create();
        }

        public static Vm? Open(string socketPath)
        {
            int fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
            byte* address = stackalloc byte[2 + LibC.SockaddrUnPathLength];
            int length = LibC.FillSockaddrUn(new Span<byte>(address, 2 + LibC.SockaddrUnPathLength), socketPath);
            if (fd < 0 || LibC.Connect(fd, address, (uint)length) != 0)
            {
                LibC.CloseQuietly(fd);
                return null;
            }
            var vm = new Vm(fd);
            if (!vm.Handshake())
            {
                vm.Dispose();
                return null;
            }
            return vm;
        }

        public int MemoryFd => _memFd;

        /// <summary>Signals the kick eventfd without touching guest memory.</summary>
        public void Kick() => EventFds.Signal(_kickFd);

        /// <summary>True when the back end closes the socket (end of file or reset) within <paramref name="timeoutMs"/>; replies are read and dropped.</summary>
        public bool WaitClosedByBackEnd(int timeoutMs)
        {
            long deadline = Environment.TickCount64 + timeoutMs;
            byte* scratch = stackalloc byte[256];
            while (true)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }
                var poll = new LibC.PollFd { Fd = _socketFd, Events = LibC.POLLIN };
                if (LibC.Poll(&poll, 1, (int)left) != 1)
                {
                    continue;
                }
                if (LibC.Read(_socketFd, scratch, 256) <= 0)
                {
                    return true;
                }
            }
        }

        /// <summary>QEMU's order: features, protocol features, owner, call fds; then the driver start: features, memory, ring.</summary>
        public bool Handshake()
        {
            if (Get(VhostUserRequest.GetFeatures) is not { } features || Get(VhostUserRequest.GetProtocolFeatures) is not { } protocol)
            {
                return false;
            }
            ulong wantedProtocol = protocol & (ulong)(VhostUserProtocolFeatures.ReplyAck | VhostUserProtocolFeatures.MultiQueue);
            var layout = _driver.Layout;
            Span<byte> ring = stackalloc byte[40];
            ring.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(ring[8..], (ulong)_memory + layout.DescriptorTableAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(ring[16..], (ulong)_memory + layout.UsedRingAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(ring[24..], (ulong)_memory + layout.AvailRingAddress);
            Span<byte> table = stackalloc byte[40];
            BinaryPrimitives.WriteUInt32LittleEndian(table, 1);
            BinaryPrimitives.WriteUInt32LittleEndian(table[4..], 0);
            BinaryPrimitives.WriteUInt64LittleEndian(table[8..], 0);
            BinaryPrimitives.WriteUInt64LittleEndian(table[16..], MemoryBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(table[24..], (ulong)_memory);
            BinaryPrimitives.WriteUInt64LittleEndian(table[32..], 0);
            return Send(VhostUserRequest.SetProtocolFeatures, U64(wantedProtocol))
                && Send(VhostUserRequest.SetOwner, [])
                && Send(VhostUserRequest.SetFeatures, U64(features & (Version1 | ProtocolFeaturesBit)))
                && Send(VhostUserRequest.SetMemTable, table, [_memFd])
                && Send(VhostUserRequest.SetVringNum, State(0, QueueSize))
                && Send(VhostUserRequest.SetVringBase, State(0, 0))
                && Send(VhostUserRequest.SetVringAddr, ring)
                && Send(VhostUserRequest.SetVringCall, U64(0), [CallFd])
                && Send(VhostUserRequest.SetVringKick, U64(0), [_kickFd])
                && SendWithAck(VhostUserRequest.SetVringEnable, State(0, 1));
        }

        /// <summary>Places a READ of clock 0 (request, then a device-writable response buffer) and kicks.</summary>
        public void Post()
        {
            VirtioRtcCodec.EncodeRead(new Span<byte>(_memory + RequestAddress, 16), 0);
            _driver.WriteDescriptor(0, RequestAddress, (uint)VirtioRtcMessageSizes.Request(VirtioRtcMessageType.Read), VirtqueueFlags.DescriptorNext, 1);
            _driver.WriteDescriptor(1, ResponseAddress, 16, VirtqueueFlags.DescriptorWrite, 0);
            InFlight = true;
            PostedAt = Stopwatch.GetTimestamp();
            _driver.MakeAvailable(0);
            EventFds.Signal(_kickFd);
        }

        /// <summary>Takes one used element; <paramref name="ok"/> when it is a whole READ response with status OK.</summary>
        public bool TryComplete(out bool ok)
        {
            ok = false;
            if (!_driver.TryTakeUsed(out _, out uint length))
            {
                return false;
            }
            InFlight = false;
            ok = length == 16 && _memory[ResponseAddress] == (byte)VirtioRtcStatus.Ok;
            return true;
        }

        private ulong? Get(VhostUserRequest request)
        {
            if (!Send(request, []))
            {
                return null;
            }
            Span<byte> reply = stackalloc byte[VhostUserHeader.Bytes + 8];
            var fds = new List<int>();
            if (_channel.ReceiveExact(reply, fds) != UnixStreamChannel.ReceiveStatus.Ok)
            {
                return null;
            }
            return BinaryPrimitives.ReadUInt64LittleEndian(reply[VhostUserHeader.Bytes..]);
        }

        private bool SendWithAck(VhostUserRequest request, ReadOnlySpan<byte> payload)
        {
            if (!Send(request, payload, default, VhostUserHeader.Version1 | VhostUserHeader.NeedReplyFlag))
            {
                return false;
            }
            Span<byte> reply = stackalloc byte[VhostUserHeader.Bytes + 8];
            var fds = new List<int>();
            return _channel.ReceiveExact(reply, fds) == UnixStreamChannel.ReceiveStatus.Ok
                && BinaryPrimitives.ReadUInt64LittleEndian(reply[VhostUserHeader.Bytes..]) == 0;
        }

        private bool Send(VhostUserRequest request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default, uint flags = VhostUserHeader.Version1)
        {
            Span<byte> message = stackalloc byte[VhostUserHeader.Bytes + payload.Length];
            new VhostUserHeader((uint)request, flags, (uint)payload.Length).Write(message);
            payload.CopyTo(message[VhostUserHeader.Bytes..]);
            return _channel.SendAll(message, fds);
        }

        private static byte[] U64(ulong value)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            return bytes;
        }

        private static byte[] State(uint index, uint value)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, index);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), value);
            return bytes;
        }

        public void Dispose()
        {
            LibC.CloseQuietly(_socketFd);
            LibC.CloseQuietly(_kickFd);
            LibC.CloseQuietly(CallFd);
            LibC.Munmap((nint)_memory, MemoryBytes);
            LibC.CloseQuietly(_memFd);
        }
    }

    private sealed class Memory(byte* memory) : IGuestMemory
    {
        public bool TryGetSpan(ulong guestPhysicalAddress, uint length, out Span<byte> span)
        {
            if (guestPhysicalAddress > MemoryBytes || length > MemoryBytes - guestPhysicalAddress)
            {
                span = default;
                return false;
            }
            span = new Span<byte>(memory + guestPhysicalAddress, (int)length);
            return true;
        }
    }
}
