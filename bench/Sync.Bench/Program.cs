Console.WriteLine("virtsync benchmarks: being built (issue 2)");
