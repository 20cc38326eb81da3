using System.Globalization;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.VhostUser.Native;

/// <summary>Group names to gids (getgrnam, so NSS groups work too), for the socket group of `serve`.</summary>
public static class UnixGroups
{
    /// <summary>A group name known to this host, or a numeric gid (taken as is); false with the reason otherwise.</summary>
    public static unsafe bool TryResolve(string nameOrId, out int gid, out string problem)
    {
        problem = "";
        if (uint.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out uint numeric) && numeric < int.MaxValue)
        {
            gid = (int)numeric;
            return true;
        }
        gid = -1;
        if (nameOrId.Length == 0 || nameOrId.Contains('\0'))
        {
            problem = "is not a group name";
            return false;
        }
        byte* group = LibC.GetGroupByName(nameOrId);
        if (group is null)
        {
            problem = "is not a group on this host (getgrnam)";
            return false;
        }
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; } on 64-bit Linux.
        gid = *(int*)(group + 16);
        return true;
    }
}
