using Sync.Clock.VhostUser;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>Names in the fd store, $LISTEN_FDS parsing and the state file format.</summary>
public sealed class FdStorePersistenceTests
{
    [Theory]
    [InlineData("vu1-sock")]
    [InlineData("vu12-mem3")]
    [InlineData("vu5-kick0")]
    [InlineData("vu5-call1")]
    [InlineData("vu2147-err63")]
    public void FdNamesRoundTrip(string text)
    {
        Assert.True(FdStoreName.TryParse(text, out var name));
        Assert.Equal(text, name.ToString());
    }

    [Theory]
    [InlineData("listen")]
    [InlineData("vu0-sock")]
    [InlineData("vu01-sock")]
    [InlineData("vu1-mem")]
    [InlineData("vu1-kick-1")]
    [InlineData("vu1-kick01")]
    [InlineData("vu1-socket")]
    [InlineData("vu-sock")]
    [InlineData("vu99999999999-sock")]
    [InlineData("unknown")]
    public void ForeignFdNamesAreNotParsed(string text) => Assert.False(FdStoreName.TryParse(text, out _));

    [Fact]
    public void ListenFdsStartAtThreeWithTheirNames()
    {
        var fds = InheritedFileDescriptors.Parse("3", "42", "vu1-sock:vu1-mem0:listen", 42, out string? problem);
        Assert.Null(problem);
        Assert.Equal([new("vu1-sock", 3), new("vu1-mem0", 4), new("listen", 5)], fds);
    }

    [Fact]
    public void ListenFdsOfAnotherProcessAreIgnored()
    {
        Assert.Empty(InheritedFileDescriptors.Parse("3", "41", "a:b:c", 42, out string? problem));
        Assert.Contains("LISTEN_PID=41", problem);
        Assert.Empty(InheritedFileDescriptors.Parse(null, null, null, 42, out problem));
        Assert.Null(problem);
        Assert.Empty(InheritedFileDescriptors.Parse("many", "42", null, 42, out problem));
        Assert.Contains("LISTEN_FDS=many", problem);
    }

    [Fact]
    public void MissingListenFdNamesAreUnknown()
    {
        var fds = InheritedFileDescriptors.Parse("2", "42", "vu1-sock", 42, out string? problem);
        Assert.Equal([new("vu1-sock", 3), new("unknown", 4)], fds);
        Assert.NotNull(problem);
    }

    private static ConnectionSnapshot Sample() => new(
        7, 0x1_3000_0001, 0x2d, 0x0f,
        [new SnapshotMemoryRegion(0, new GuestMemoryRegion(0, 1 << 20, 0x7f00_0000_0000, 0), 0),
         new SnapshotMemoryRegion(2, new GuestMemoryRegion(0x1_0000_0000, 1 << 30, 0x7f10_0000_0000, 0x1000), 0),
         new SnapshotMemoryRegion(3, new GuestMemoryRegion(0x2_0000_0000, 1 << 20, 0x7f20_0000_0000, 0), 3)],
        [new SnapshotVring(64, 17, true, true, true, true, false, 0x7f00_0000_1000, 0x7f00_0000_1400, 0x7f00_0000_2000),
         new SnapshotVring(0, 0, false, false, false, true, true, 0, 0, 0)]);

    [Fact]
    public void StateFileRoundTrips()
    {
        var sample = Sample();
        Assert.True(ConnectionSnapshotFormat.TryDecode(ConnectionSnapshotFormat.Encode(sample), out var decoded, out string problem), problem);
        Assert.Equal(sample.ConnectionId, decoded.ConnectionId);
        Assert.Equal(sample.AckedFeatures, decoded.AckedFeatures);
        Assert.Equal(sample.ProtocolFeatures, decoded.ProtocolFeatures);
        Assert.Equal(sample.Status, decoded.Status);
        Assert.Equal(sample.Regions, decoded.Regions);
        Assert.Equal(sample.Vrings, decoded.Vrings);
    }

    [Fact]
    public void EveryFlippedBitAndEveryTruncationIsRefused()
    {
        byte[] bytes = ConnectionSnapshotFormat.Encode(Sample());
        for (int i = 0; i < bytes.Length * 8; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[i / 8] ^= (byte)(1 << (i % 8));
            Assert.False(ConnectionSnapshotFormat.TryDecode(copy, out _, out _), $"bit {i} flipped was accepted");
        }
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.False(ConnectionSnapshotFormat.TryDecode(bytes.AsSpan(0, length), out _, out string problem));
            Assert.NotEmpty(problem);
        }
    }

    [Fact]
    public void StateDirectoryWritesAtomicallyAndReadsBack()
    {
        string path = Path.Combine(Path.GetTempPath(), $"vu-state-{Guid.NewGuid():N}");
        try
        {
            var directory = new ConnectionStateDirectory(path);
            Assert.False(directory.TryRead(7, out _, out string missing));
            Assert.Contains("no state file", missing);
            Assert.True(directory.TryWrite(Sample(), out _));
            Assert.True(directory.TryWrite(Sample() with { Status = 0 }, out _));
            Assert.True(directory.TryRead(7, out var read, out _));
            Assert.Equal(0ul, read.Status);
            Assert.Equal([7], directory.ListConnectionIds());
            Assert.Equal(["vu7.state"], Directory.GetFiles(path).Select(Path.GetFileName));
            File.Copy(directory.FileOf(7), directory.FileOf(8));
            Assert.False(directory.TryRead(8, out _, out string foreign));
            Assert.Contains("belongs to connection 7", foreign);
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/notify")]
    public void NoNotifySocketMeansNoStore(string? address) => Assert.Null(SystemdFileDescriptorStore.Create(address));
}
