namespace Sync.Filters.Tests;

public class ProjectWiringTests
{
    [Fact]
    public void TestAssemblyLoadsProductAssemblies()
    {
        Assert.Equal("Sync.Filters", typeof(Sync.Filters.Time.Duration).Assembly.GetName().Name);
    }
}
