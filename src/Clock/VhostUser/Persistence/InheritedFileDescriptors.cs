using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// sd_listen_fds_with_names without libsystemd: when $LISTEN_PID is this process, $LISTEN_FDS fds start at 3,
/// named by the colon-separated $LISTEN_FDNAMES ("unknown" where a name is missing). The fds get FD_CLOEXEC and
/// the variables are removed, so children inherit neither.
/// </summary>
public static class InheritedFileDescriptors
{
    public const int FirstFd = 3;

    /// <summary>The fds handed to this process, or an empty list; <paramref name="problem"/> says why they were ignored.</summary>
    public static IReadOnlyList<InheritedFileDescriptor> FromEnvironment(out string? problem)
    {
        var list = Parse(
            Environment.GetEnvironmentVariable("LISTEN_FDS"),
            Environment.GetEnvironmentVariable("LISTEN_PID"),
            Environment.GetEnvironmentVariable("LISTEN_FDNAMES"),
            Environment.ProcessId,
            out problem);
        foreach (var inherited in list)
        {
            LibC.Fcntl(inherited.Fd, LibC.F_SETFD, LibC.FD_CLOEXEC);
        }
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        return list;
    }

    /// <summary>Pure parsing of the three variables for process <paramref name="processId"/>.</summary>
    public static IReadOnlyList<InheritedFileDescriptor> Parse(string? listenFds, string? listenPid, string? listenFdNames, int processId, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(listenFds))
        {
            return [];
        }
        if (!int.TryParse(listenPid, out int pid) || pid != processId)
        {
            problem = $"LISTEN_PID={listenPid} is not this process ({processId}); ignoring LISTEN_FDS";
            return [];
        }
        if (!int.TryParse(listenFds, out int count) || count < 0 || count > 65536)
        {
            problem = $"LISTEN_FDS={listenFds} is not a count of fds; ignoring it";
            return [];
        }
        string[] names = string.IsNullOrEmpty(listenFdNames) ? [] : listenFdNames.Split(':');
        var list = new InheritedFileDescriptor[count];
        for (int i = 0; i < count; i++)
        {
            string name = i < names.Length && names[i].Length > 0 ? names[i] : "unknown";
            list[i] = new InheritedFileDescriptor(name, FirstFd + i);
        }
        if (names.Length != 0 && names.Length != count)
        {
            problem = $"LISTEN_FDNAMES names {names.Length} fds but LISTEN_FDS is {count}";
        }
        return list;
    }
}
