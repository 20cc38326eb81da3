using System.Runtime.InteropServices;
using Sync.Clock.HostClocks;
using Sync.Clock.Virtio.Rtc;

namespace Sync.Clock.Tests.HostClocks;

public class X86TscCounterReaderTests
{
    [Fact]
    public void OnX64Linux_TheTscIsReadable_AndAdvances()
    {
        bool available = X86TscCounterReader.TryCreate(out var reader, out string? reason);
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            Assert.False(available);
            Assert.NotNull(reason);
            return;
        }
        Assert.True(available, reason);
        Assert.Equal(VirtioRtcHwCounter.X86Tsc, reader!.Counter);
        ulong first = reader.ReadCycles();
        Thread.Sleep(2);
        ulong second = reader.ReadCycles();
        Assert.True(second > first + 100_000, $"TSC advanced only {second - first} cycles in 2 ms");
        X86TscCounterReader.TryCreate(out var again, out _);
        Assert.Same(reader, again);
    }
}
