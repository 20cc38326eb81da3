using System.Net.Sockets;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Tests.Linux;

/// <summary>
/// statx and epoll_event through real calls (memfds, eventfds, a Unix socket in a temporary folder): the fields the
/// product reads come back where the declarations say. NativeLayoutTests checks the same layouts against the C compiler.
/// </summary>
public unsafe class FileStatusAndEpollTests
{
    [Fact]
    public void Statx_OfAMemfd_GivesItsSizeTypeAndIdentity()
    {
        int fd = LibC.MemfdCreate("virtsync-statx-test", LibC.MFD_CLOEXEC);
        Assert.True(fd >= 0, $"memfd_create errno {LibC.LastErrno}");
        int other = LibC.MemfdCreate("virtsync-statx-other", LibC.MFD_CLOEXEC);
        int duplicate = LibC.Dup(fd);
        try
        {
            Assert.Equal(0, LibC.Ftruncate(fd, 123_457));
            Assert.True(LibC.TryStat(fd, out var status), $"statx errno {LibC.LastErrno}");
            Assert.Equal(123_457ul, status.SizeBytes);
            Assert.Equal(0x8000, status.FileType); // S_IFREG
            Assert.NotEqual(0u, status.Mask & Statx.STATX_SIZE);

            Assert.True(LibC.TryGetFileIdentity(fd, out var identity));
            Assert.True(LibC.TryGetFileIdentity(duplicate, out var sameFile));
            Assert.True(LibC.TryGetFileIdentity(other, out var otherFile));
            Assert.Equal(identity, sameFile);
            Assert.NotEqual(identity, otherFile);
            Assert.NotEqual(0ul, identity.Inode);
        }
        finally
        {
            LibC.CloseQuietly(duplicate);
            LibC.CloseQuietly(other);
            LibC.CloseQuietly(fd);
        }
    }

    [Fact]
    public void Statx_OfAFileGivesItsSize_AndOfAClosedFdFails()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[4099]);
            using var stream = File.OpenRead(path);
            Assert.True(LibC.TryStat((int)stream.SafeFileHandle.DangerousGetHandle(), out var status));
            Assert.Equal(4099ul, status.SizeBytes);
            Assert.True(LibC.TryStat(path, out var byPath));
            Assert.Equal(status.Identity, byPath.Identity);
            Assert.False(LibC.IsSocketFile(path));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.False(LibC.TryStat(-1, out _));
        Assert.Equal(9, LibC.LastErrno); // EBADF
        Assert.False(LibC.IsSocketFile(path));
    }

    [Fact]
    public void IsSocketFile_IsTrueForABoundUnixSocketOnly()
    {
        var directory = Directory.CreateTempSubdirectory("virtsync-statx-");
        try
        {
            var path = Path.Combine(directory.FullName, "s.sock");
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            Assert.True(LibC.IsSocketFile(path));
            Assert.False(LibC.IsSocketFile(directory.FullName));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Epoll_ReturnsTheWholeDataTagOfEachReadyFd()
    {
        int epoll = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        int first = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        int second = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        try
        {
            Assert.True(epoll >= 0 && first >= 0 && second >= 0);
            // Tags with every byte different: a wrong data offset or stride shows as a wrong tag.
            const ulong firstTag = 0x1122_3344_5566_7788, secondTag = 0x99AA_BBCC_DDEE_F001;
            Assert.Equal(0, LibC.EpollControl(epoll, LibC.EPOLL_CTL_ADD, first, LibC.EPOLLIN, firstTag));
            Assert.Equal(0, LibC.EpollControl(epoll, LibC.EPOLL_CTL_ADD, second, LibC.EPOLLIN, secondTag));
            ulong one = 1;
            Assert.Equal(8, (int)LibC.Write(first, &one, 8));
            Assert.Equal(8, (int)LibC.Write(second, &one, 8));

            byte* events = stackalloc byte[LibC.EpollEventBytes * 4];
            int ready = LibC.EpollWait(epoll, events, 4, 1000);
            Assert.Equal(2, ready);
            var tags = new[] { LibC.EpollData(events, 0), LibC.EpollData(events, 1) };
            Assert.Equal(new[] { firstTag, secondTag }.Order(), tags.Order());

            Assert.Equal(0, LibC.EpollControl(epoll, LibC.EPOLL_CTL_DEL, first, 0, 0));
            Assert.Equal(1, LibC.EpollWait(epoll, events, 4, 0));
            Assert.Equal(secondTag, LibC.EpollData(events, 0));
        }
        finally
        {
            LibC.CloseQuietly(second);
            LibC.CloseQuietly(first);
            LibC.CloseQuietly(epoll);
        }
    }
}
