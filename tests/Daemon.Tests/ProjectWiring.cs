namespace Sync.Daemon.Tests;

public class ProjectWiringTests
{
    [Fact]
    public void TestAssemblyLoadsProductAssemblies()
    {
        Assert.Equal("Sync.Filters", typeof(global::Sync.Filters.Time.Duration).Assembly.GetName().Name);
    }
}
