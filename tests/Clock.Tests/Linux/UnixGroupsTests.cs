using Sync.Clock.Linux;

namespace Sync.Clock.Tests.Linux;

public class UnixGroupsTests
{
    [Fact]
    public void ResolvesEveryLocalGroupToTheGidInEtcGroup()
    {
        // Every group of /etc/group with a gid other than 0, so a gid read from the wrong place of struct group shows.
        var groups = File.ReadAllLines("/etc/group")
            .Select(line => line.Split(':'))
            .Where(fields => fields.Length >= 3 && fields[0].Length > 0 && int.TryParse(fields[2], out int id) && id > 0)
            .Select(fields => (Name: fields[0], Gid: int.Parse(fields[2])))
            .ToList();
        Assert.NotEmpty(groups);
        foreach (var (name, expected) in groups)
        {
            Assert.True(UnixGroups.TryResolve(name, out int gid, out string problem), $"{name}: {problem}");
            Assert.Equal(expected, gid);
        }
    }

    [Fact]
    public void TakesANumberAsIsAndNamesWhatIsWrongOtherwise()
    {
        Assert.True(UnixGroups.TryResolve("4242", out int gid, out _));
        Assert.Equal(4242, gid);
        Assert.False(UnixGroups.TryResolve("no-such-group-xyz", out gid, out string problem));
        Assert.Equal(-1, gid);
        Assert.Contains("getgrnam", problem);
        Assert.False(UnixGroups.TryResolve("", out _, out problem));
        Assert.Equal("is not a group name", problem);
    }
}
