using System.Globalization;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Linux;

/// <summary>Group names to gids (getgrnam, so NSS groups work too), for the socket group of `serve` (serve:socketGroup).</summary>
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
        LibC.Group* group = LibC.GetGroupByName(nameOrId);
        if (group is null)
        {
            problem = "is not a group on this host (getgrnam)";
            return false;
        }
        gid = (int)group->Gid;
        return true;
    }
}
