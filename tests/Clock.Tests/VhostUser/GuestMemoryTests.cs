using Sync.Clock.VhostUser;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.Tests.VhostUser;

public class GuestMemoryTests
{
    [Theory]
    [InlineData(0x1000ul, 16u, true)]
    [InlineData(0x1FF0ul, 16u, true)]
    [InlineData(0x1FF1ul, 16u, false)]
    [InlineData(0x2000ul, 0u, true)]
    [InlineData(0x0FFFul, 1u, false)]
    [InlineData(ulong.MaxValue, 2u, false)]
    [InlineData(0x1000ul, uint.MaxValue, false)]
    public void ArrayMemoryHandsOutOnlySpansInside(ulong address, uint length, bool expected)
    {
        var memory = new ArrayGuestMemory(0x1000, baseAddress: 0x1000);
        Assert.Equal(expected, memory.TryGetSpan(address, length, out var span));
        Assert.Equal(expected ? (int)length : 0, span.Length);
    }

    [Fact]
    public void ArrayMemorySpanAliasesTheBackingArray()
    {
        var memory = new ArrayGuestMemory(64, baseAddress: 0x100);
        Assert.True(memory.TryGetSpan(0x110, 4, out var span));
        span[0] = 42;
        Assert.Equal(42, memory.Bytes[0x10]);
    }

    [Fact]
    public unsafe void MappedMemoryMapsAMemfdAtItsOffsetAndTranslatesFrontEndAddresses()
    {
        int fd = CreateMemfd(0x3000);
        try
        {
            // Put a marker at file offset 0x1000 + 0x20 = guest-physical 0x10020.
            byte* own = (byte*)LibC.Mmap(0, 0x3000, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
            own[0x1020] = 0x5C;
            using var memory = new MappedGuestMemory();
            var region = new GuestMemoryRegion(0x10000, 0x2000, 0x7f0000000000, 0x1000);

            Assert.True(memory.TryAddRegion(region, fd, out string error), error);

            Assert.True(memory.TryGetSpan(0x10020, 1, out var span));
            Assert.Equal(0x5C, span[0]);
            span[0] = 0x11;
            Assert.Equal(0x11, own[0x1020]);
            Assert.False(memory.TryGetSpan(0x11FFF, 2, out _));
            Assert.False(memory.TryGetSpan(0xFFFF, 1, out _));
            Assert.True(memory.TryTranslateFrontEndAddress(0x7f0000000040, out ulong gpa));
            Assert.Equal(0x10040ul, gpa);
            Assert.False(memory.TryTranslateFrontEndAddress(0x7f0000002000, out _));
            LibC.Munmap((nint)own, 0x3000);
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    [Fact]
    public void MappedMemoryRefusesAFdShorterThanTheRegionOverlapsAndOverflow()
    {
        int fd = CreateMemfd(0x1000);
        try
        {
            using var memory = new MappedGuestMemory();
            Assert.False(memory.TryAddRegion(new GuestMemoryRegion(0, 0x2000, 0, 0), fd, out string error));
            Assert.Contains("shorter", error);
            Assert.False(memory.TryAddRegion(new GuestMemoryRegion(ulong.MaxValue - 0x10, 0x1000, 0, 0), fd, out _));
            Assert.False(memory.TryAddRegion(new GuestMemoryRegion(0, 0, 0, 0), fd, out _));
            Assert.True(memory.TryAddRegion(new GuestMemoryRegion(0, 0x1000, 0x5000, 0), fd, out error), error);
            Assert.False(memory.TryAddRegion(new GuestMemoryRegion(0x800, 0x800, 0x9000, 0), fd, out error));
            Assert.Contains("overlaps", error);
            Assert.True(memory.RemoveRegion(new GuestMemoryRegion(0, 0x1000, 0x5000, 0)));
            Assert.False(memory.TryGetSpan(0, 1, out _));
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    [Fact]
    public void MappedMemoryRefusesAMemfdThatCanShrinkAndAFileThatCannotBeSealed()
    {
        using var memory = new MappedGuestMemory();
        var region = new GuestMemoryRegion(0, 0x1000, 0, 0);
        int unsealed = CreateMemfd(0x1000, seal: false);
        try
        {
            Assert.False(memory.TryAddRegion(region, unsealed, out string error));
            Assert.Contains("not sealed against shrinking", error);
            Assert.Contains("seal=on", error);
        }
        finally
        {
            LibC.Close(unsealed);
        }
        var path = Path.Combine(Path.GetTempPath(), $"vu-mem-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, new byte[0x1000]);
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            Assert.False(memory.TryAddRegion(region, (int)file.DangerousGetHandle(), out string error));
            Assert.Contains("not a sealable memfd", error);
        }
        File.Delete(path);
        int sealedFd = CreateMemfd(0x1000);
        try
        {
            Assert.True(memory.TryAddRegion(region, sealedFd, out string error), error);
            Assert.NotEqual(0, LibC.Ftruncate(sealedFd, 0)); // what the seal buys: the front end cannot shrink it any more
        }
        finally
        {
            LibC.Close(sealedFd);
        }
    }

    /// <summary>A memfd like QEMU's memory-backend-memfd (seal=on by default: no shrinking, no growing, no more seals).</summary>
    internal static int CreateMemfd(long sizeBytes, bool seal = true)
    {
        int fd = LibC.MemfdCreate("virtsync-test", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        Assert.True(fd >= 0, $"memfd_create failed: errno {LibC.LastErrno}");
        Assert.Equal(0, LibC.Ftruncate(fd, sizeBytes));
        if (seal)
        {
            Assert.Equal(0, LibC.Fcntl(fd, LibC.F_ADD_SEALS, LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_SEAL));
        }
        return fd;
    }
}
