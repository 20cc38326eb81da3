using System.Buffers.Binary;
using Sync.Clock.Virtio;
using Sync.Clock.Tests.VhostUser;
using Sync.TestSupport;

namespace Sync.Clock.Tests.Virtio;

public class SplitVirtqueueTests
{
    private const ushort Size = 8;
    private const ulong DataBase = 0x1000;
    private const ushort Next = VirtqueueFlags.DescriptorNext;
    private const ushort Write = VirtqueueFlags.DescriptorWrite;
    private const ushort Indirect = VirtqueueFlags.DescriptorIndirect;

    private sealed class Rig
    {
        public readonly ArrayGuestMemory Memory = new(0x4000);
        public readonly SplitVirtqueueLayout Layout = SplitVirtqueueLayout.Contiguous(0, Size);
        public readonly SplitVirtqueueDriver Driver;
        public readonly SplitVirtqueue Queue;
        public readonly EchoDevice Device = new();

        public Rig(bool eventIndex = false, bool indirect = true, int maxRequestBytes = 4096)
        {
            Driver = new SplitVirtqueueDriver(Memory, Layout);
            Queue = new SplitVirtqueue(Memory, Layout, new SplitVirtqueueOptions
            {
                EventIndex = eventIndex,
                IndirectDescriptors = indirect,
                MaxRequestBytes = maxRequestBytes,
            });
        }

        public void Put(ulong address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(Memory.Bytes.AsSpan((int)address));
        public byte[] Get(ulong address, int length) => Memory.Bytes.AsSpan((int)address, length).ToArray();
        public VirtqueuePassResult Process() => Queue.Process(Device, 0);

        public (uint Id, uint Length) TakeUsed()
        {
            Assert.True(Driver.TryTakeUsed(out uint id, out uint length), "expected a used entry");
            return (id, length);
        }
    }

    [Fact]
    public void RequestIsGatheredFromReadablePartsAndResponseScatteredOverWritableParts()
    {
        var rig = new Rig();
        rig.Put(DataBase, [1, 2, 3]);
        rig.Put(DataBase + 0x100, [4, 5]);
        rig.Driver.WriteDescriptor(3, DataBase, 3, Next, 5);
        rig.Driver.WriteDescriptor(5, DataBase + 0x100, 2, Next, 1);
        rig.Driver.WriteDescriptor(1, DataBase + 0x200, 2, (ushort)(Write | Next), 2);
        rig.Driver.WriteDescriptor(2, DataBase + 0x300, 10, Write, 0);
        rig.Driver.MakeAvailable(3);

        var result = rig.Process();

        Assert.Equal(new VirtqueuePassResult(1, 0, true, false), result);
        Assert.Equal((3u, 6u), rig.TakeUsed());
        Assert.Equal(new byte[] { 0, 1 }, rig.Get(DataBase + 0x200, 2));
        Assert.Equal(new byte[] { 2, 3, 4, 5, 0 }, rig.Get(DataBase + 0x300, 5));
        Assert.Equal(1, rig.Queue.NextAvailIndex);
    }

    [Theory]
    [InlineData("loop")]
    [InlineData("next-out-of-range")]
    [InlineData("outside-memory")]
    [InlineData("address-overflow")]
    [InlineData("readable-after-writable")]
    [InlineData("request-too-large")]
    [InlineData("nested-indirect")]
    [InlineData("indirect-with-next")]
    [InlineData("indirect-bad-length")]
    [InlineData("indirect-loop")]
    [InlineData("device-throws")]
    public void BadChainIsAnsweredWithZeroLengthAndTheQueueGoesOn(string kind)
    {
        var rig = new Rig(maxRequestBytes: 64);
        ChainRejection expected = BuildBadChain(rig, kind);
        rig.Driver.MakeAvailable(0);
        // A good request behind it.
        rig.Put(DataBase + 0x800, [9]);
        rig.Driver.WriteDescriptor(6, DataBase + 0x800, 1, Next, 7);
        rig.Driver.WriteDescriptor(7, DataBase + 0x900, 8, Write, 0);
        rig.Driver.MakeAvailable(6);

        var result = rig.Process();

        Assert.Equal(1, result.Rejected);
        Assert.Equal(1, result.Completed);
        Assert.Equal(expected, rig.Queue.LastRejection);
        Assert.Equal((0u, 0u), rig.TakeUsed());
        Assert.Equal((6u, 2u), rig.TakeUsed());
        Assert.Equal(new byte[] { 0, 9 }, rig.Get(DataBase + 0x900, 2));
        Assert.False(rig.Queue.IsBroken);
    }

    private static ChainRejection BuildBadChain(Rig rig, string kind)
    {
        var driver = rig.Driver;
        switch (kind)
        {
            case "loop":
                driver.WriteDescriptor(0, DataBase, 4, Next, 1);
                driver.WriteDescriptor(1, DataBase, 4, Next, 0);
                return ChainRejection.ChainTooLong;
            case "next-out-of-range":
                driver.WriteDescriptor(0, DataBase, 4, Next, Size);
                return ChainRejection.NextOutOfRange;
            case "outside-memory":
                driver.WriteDescriptor(0, 0x3FF0, 0x20, 0, 0);
                return ChainRejection.BufferOutsideMemory;
            case "address-overflow":
                driver.WriteDescriptor(0, ulong.MaxValue - 4, 16, 0, 0);
                return ChainRejection.BufferOutsideMemory;
            case "readable-after-writable":
                driver.WriteDescriptor(0, DataBase, 4, (ushort)(Write | Next), 1);
                driver.WriteDescriptor(1, DataBase, 4, 0, 0);
                return ChainRejection.ReadableAfterWritable;
            case "request-too-large":
                driver.WriteDescriptor(0, DataBase, 40, Next, 1);
                driver.WriteDescriptor(1, DataBase, 40, 0, 0);
                return ChainRejection.RequestTooLarge;
            case "nested-indirect":
                driver.WriteDescriptor(0, DataBase + 0x400, 32, Indirect, 0);
                WriteTableEntry(rig, DataBase + 0x400, 0, DataBase + 0x500, 16, Indirect, 0);
                return ChainRejection.NestedIndirect;
            case "indirect-with-next":
                driver.WriteDescriptor(0, DataBase + 0x400, 32, (ushort)(Indirect | Next), 1);
                return ChainRejection.IndirectWithNext;
            case "indirect-bad-length":
                driver.WriteDescriptor(0, DataBase + 0x400, 17, Indirect, 0);
                return ChainRejection.BadIndirectLength;
            case "indirect-loop":
                driver.WriteDescriptor(0, DataBase + 0x400, 32, Indirect, 0);
                WriteTableEntry(rig, DataBase + 0x400, 0, DataBase, 4, Next, 1);
                WriteTableEntry(rig, DataBase + 0x400, 1, DataBase, 4, Next, 0);
                return ChainRejection.ChainTooLong;
            case "device-throws":
                rig.Put(DataBase, [0xEE]);
                driver.WriteDescriptor(0, DataBase, 1, Next, 1);
                driver.WriteDescriptor(1, DataBase + 0x100, 8, Write, 0);
                return ChainRejection.DeviceFault;
            default:
                throw new ArgumentException(kind);
        }
    }

    private static void WriteTableEntry(Rig rig, ulong table, int index, ulong address, uint length, ushort flags, ushort next) =>
        SplitVirtqueueDriver.WriteDescriptorTo(rig.Memory.Bytes.AsSpan((int)table + index * 16, 16), address, length, flags, next);

    [Fact]
    public void IndirectTableIsFollowedWhenNegotiated()
    {
        var rig = new Rig();
        rig.Put(DataBase, [7, 8]);
        rig.Driver.WriteDescriptor(4, DataBase + 0x400, 32, Indirect, 0);
        WriteTableEntry(rig, DataBase + 0x400, 0, DataBase, 2, Next, 1);
        WriteTableEntry(rig, DataBase + 0x400, 1, DataBase + 0x100, 8, Write, 0);
        rig.Driver.MakeAvailable(4);

        Assert.Equal(1, rig.Process().Completed);
        Assert.Equal((4u, 3u), rig.TakeUsed());
        Assert.Equal(new byte[] { 0, 7, 8 }, rig.Get(DataBase + 0x100, 3));
    }

    [Fact]
    public void IndirectTableIsRefusedWhenNotNegotiated()
    {
        var rig = new Rig(indirect: false);
        rig.Driver.WriteDescriptor(0, DataBase + 0x400, 32, Indirect, 0);
        rig.Driver.MakeAvailable(0);

        Assert.Equal(1, rig.Process().Rejected);
        Assert.Equal(ChainRejection.IndirectNotNegotiated, rig.Queue.LastRejection);
    }

    [Fact]
    public void HeadOutOfRangeMarksTheQueueBroken()
    {
        var rig = new Rig();
        rig.Driver.MakeAvailable(Size);

        var result = rig.Process();

        Assert.Equal(0, result.UsedAdded);
        Assert.True(rig.Queue.IsBroken);
        rig.Driver.WriteDescriptor(0, DataBase, 1, 0, 0);
        rig.Driver.MakeAvailable(0);
        Assert.Equal(0, rig.Process().UsedAdded);
        Assert.Equal(0, rig.Device.RequestCount);
    }

    [Fact]
    public void AvailIndexFarAheadMarksTheQueueBroken()
    {
        var rig = new Rig();
        rig.Driver.SetAvailIndex(Size + 1);

        Assert.Equal(0, rig.Process().UsedAdded);
        Assert.Contains("ahead", rig.Queue.BrokenReason);
    }

    [Fact]
    public void RingsOutsideMemoryMarkTheQueueBroken()
    {
        var memory = new ArrayGuestMemory(0x1000);
        var queue = new SplitVirtqueue(memory, SplitVirtqueueLayout.Contiguous(0xF00, 64), new SplitVirtqueueOptions());

        Assert.Equal(0, queue.Process(new EchoDevice(), 0).UsedAdded);
        Assert.True(queue.IsBroken);
    }

    [Fact]
    public void NoInterruptFlagSuppressesTheNotification()
    {
        var rig = new Rig();
        rig.Driver.SetAvailFlags(1);
        rig.Driver.WriteDescriptor(0, DataBase, 1, 0, 0);
        rig.Driver.MakeAvailable(0);

        var result = rig.Process();

        Assert.Equal(1, result.Completed);
        Assert.False(result.NotifyDriver);
    }

    [Fact]
    public void EventIndexNotifiesOnlyWhenUsedEventIsCrossedAndPublishesAvailEvent()
    {
        var rig = new Rig(eventIndex: true);
        rig.Driver.WriteDescriptor(0, DataBase, 1, 0, 0);
        rig.Driver.SetUsedEvent(1);  // interrupt wanted once used.idx passes 1, i.e. after the 2nd entry
        rig.Driver.MakeAvailable(0);

        var first = rig.Process();
        Assert.Equal(1, first.Completed);
        Assert.False(first.NotifyDriver);
        Assert.Equal(1, rig.Driver.ReadAvailEvent());

        rig.Driver.MakeAvailable(0);
        var second = rig.Process();
        Assert.True(second.NotifyDriver);
        Assert.Equal(2, rig.Driver.ReadAvailEvent());
    }

    [Fact]
    public void EventBufferIsHeldUntilTheDeviceHasANotification()
    {
        var rig = new Rig();
        rig.Driver.WriteDescriptor(0, DataBase, 16, Write, 0);
        rig.Driver.MakeAvailable(0);

        Assert.Equal(0, rig.Queue.Process(rig.Device, 1).UsedAdded);
        Assert.Equal(0, rig.Queue.NextAvailIndex);

        rig.Device.Raise([0x00, 0x20, 0, 0, 0, 0, 0, 0, 3, 0]);
        var result = rig.Queue.Process(rig.Device, 1);

        Assert.Equal(1, result.Completed);
        Assert.Equal((0u, 10u), rig.TakeUsed());
        Assert.Equal(new byte[] { 0x00, 0x20 }, rig.Get(DataBase, 2));
    }

    [Fact]
    public void ResponseLongerThanWritableSpaceIsClampedByTheTransport()
    {
        var rig = new Rig();
        rig.Put(DataBase, [1, 2, 3, 4, 5, 6]);
        rig.Driver.WriteDescriptor(0, DataBase, 6, Next, 1);
        rig.Driver.WriteDescriptor(1, DataBase + 0x100, 3, Write, 0);
        rig.Put(DataBase + 0x103, [0x77]);
        rig.Driver.MakeAvailable(0);

        rig.Process();

        Assert.Equal((0u, 3u), rig.TakeUsed());
        Assert.Equal(new byte[] { 0, 1, 2, 0x77 }, rig.Get(DataBase + 0x100, 4));
    }

    [Fact]
    public void IndicesWrapAroundSixteenBits()
    {
        var rig = new Rig();
        rig.Driver.WriteDescriptor(0, DataBase, 1, Next, 1);
        rig.Driver.WriteDescriptor(1, DataBase + 0x100, 4, Write, 0);
        for (int i = 0; i < 70_000; i++)
        {
            rig.Driver.MakeAvailable(0);
            Assert.Equal(1, rig.Process().Completed);
            Assert.Equal((0u, 2u), rig.TakeUsed());
        }
        Assert.Equal(70_000 % 65_536, rig.Queue.NextAvailIndex);
    }

    [Fact]
    public void InvalidLayoutIsBrokenFromTheStart()
    {
        var memory = new ArrayGuestMemory(0x4000);
        Assert.True(new SplitVirtqueue(memory, new SplitVirtqueueLayout(3, 0, 0x100, 0x200), new SplitVirtqueueOptions()).IsBroken);
        Assert.True(new SplitVirtqueue(memory, new SplitVirtqueueLayout(8, 8, 0x100, 0x200), new SplitVirtqueueOptions()).IsBroken);
        Assert.True(new SplitVirtqueue(memory, new SplitVirtqueueLayout(8, 0, 0x101, 0x200), new SplitVirtqueueOptions()).IsBroken);
    }

    [Fact]
    public void TenThousandSeededRandomRingsNeverThrowAndKeepUsedEntriesSane()
    {
        var fuzzer = new SplitVirtqueueFuzzer(seed: 20261125);
        for (int i = 0; i < 10_000; i++)
        {
            fuzzer.RunCase();
        }
        Assert.Equal(10_000, fuzzer.Cases);
        // The generator must reach every path, or the test proves little.
        Assert.True(fuzzer.ChainsCompleted > 1000, $"completed {fuzzer.ChainsCompleted}");
        Assert.True(fuzzer.ChainsRejected > 1000, $"rejected {fuzzer.ChainsRejected}");
        Assert.True(fuzzer.QueuesBroken > 100, $"broken {fuzzer.QueuesBroken}");
        foreach (var reason in new[] { ChainRejection.ChainTooLong, ChainRejection.NextOutOfRange, ChainRejection.BufferOutsideMemory,
                     ChainRejection.ReadableAfterWritable, ChainRejection.NestedIndirect, ChainRejection.DeviceFault })
        {
            Assert.True(fuzzer.RejectionsByReason.GetValueOrDefault(reason) > 0, $"no case rejected for {reason}");
        }
    }
}
