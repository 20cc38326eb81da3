using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Virtio.Rtc;
using Sync.Filters.Time;
using Sync.TestSupport;

namespace Sync.Clock.Tests.Virtio;

public class VirtioRtcAlarmTests : IDisposable
{
    private const long Second = 1_000_000_000;
    private const ushort AlarmClock = 1;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly ManualClockSource _utc = new(ClockScale.Utc, 1000 * Second);
    private readonly ManualClockSource _smeared = new(ClockScale.UtcSmearedNoonLinear, 1000 * Second);
    private readonly VirtioRtcDevice _device;
    private readonly VirtioRtcDriver _driver;
    private readonly List<int> _signals = [];

    public VirtioRtcAlarmTests()
    {
        _device = new VirtioRtcDevice(new VirtioRtcDeviceOptions
        {
            Clocks = [new DeviceClock(_utc), new DeviceClock(_smeared, AlarmCapable: true)],
            AlarmPollInterval = TimeSpan.FromMilliseconds(10),
            AlarmRenotifyInterval = TimeSpan.FromSeconds(1),
        }, _time);
        _device.NotificationPending += queue => { lock (_signals) _signals.Add(queue); };
        _driver = new VirtioRtcDriver(new DirectRequestChannel(_device));
    }

    public void Dispose() => _device.Dispose();

    /// <summary>Let the device's poll timer run while the clock moves with fake time.</summary>
    private void Advance(TimeSpan span)
    {
        _smeared.NowNs += (long)span.TotalNanoseconds;
        _time.Advance(span);
    }

    private List<ushort> DrainNotifications()
    {
        var delivered = new List<ushort>();
        var buffer = new byte[16];
        while (_device.TryWriteNotification(VirtioRtcConstants.AlarmQueueIndex, buffer, out int written))
        {
            Assert.Equal(16, written);
            Assert.True(VirtioRtcCodec.TryDecodeAlarmNotification(buffer, out ushort clockId));
            delivered.Add(clockId);
        }
        return delivered;
    }

    [Fact]
    public void TheAlarmTimerExistsOnlyWhileAnAlarmIsEnabled()
    {
        Assert.False(_device.AlarmTimerRunning);
        Assert.Null(_driver.SetAlarm(AlarmClock, 5000 * Second, enabled: false));
        Assert.False(_device.AlarmTimerRunning);
        Assert.Null(_driver.SetAlarmEnabled(AlarmClock, true));
        Assert.True(_device.AlarmTimerRunning);
        Assert.Null(_driver.SetAlarmEnabled(AlarmClock, false));
        Assert.False(_device.AlarmTimerRunning);
        Assert.Null(_driver.SetAlarm(AlarmClock, 5000 * Second, enabled: true));
        Assert.True(_device.AlarmTimerRunning);
        _device.SetDriverFeatures(VirtioRtcConstants.FeatureVersion1); // the driver did not take alarms
        Assert.False(_device.AlarmTimerRunning);
        _device.Reset(); // a reset offers alarms again, and the enabled alarm survives it
        Assert.True(_device.AlarmTimerRunning);
        _device.Dispose();
        Assert.False(_device.AlarmTimerRunning);
        _smeared.NowNs = 6000 * Second;
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(DrainNotifications());
    }

    [Fact]
    public void InitialAlarm_IsTimeZeroAndDisabled_AndNeverFires()
    {
        Assert.Equal(new VirtioRtcAlarm(0, false), _driver.ReadAlarm(AlarmClock).Value);
        Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(DrainNotifications());
    }

    [Fact]
    public void SetInThePast_ExpiresImmediately_WithTheGoldenNotification()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 999 * Second, enabled: true));
        Assert.True(_device.HasPendingNotifications);
        Assert.Equal([VirtioRtcConstants.AlarmQueueIndex], _signals);

        var buffer = new byte[20];
        Array.Fill(buffer, (byte)0xAA);
        Assert.True(_device.TryWriteNotification(1, buffer, out int written));
        Assert.Equal(16, written);
        Assert.Equal(new byte[] { 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0xAA, 0xAA, 0xAA, 0xAA }, buffer);
        Assert.False(_device.TryWriteNotification(1, buffer, out _));
    }

    [Fact]
    public void SetAtExactlyNow_Expires()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, (ulong)_smeared.NowNs, enabled: true));
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void SetInTheFuture_FiresWhenTheClockPassesIt()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1002 * Second, enabled: true));
        Assert.Equal(new VirtioRtcAlarm(1002 * Second, true), _driver.ReadAlarm(AlarmClock).Value);
        Advance(TimeSpan.FromSeconds(1.5));
        Assert.Empty(DrainNotifications());
        Advance(TimeSpan.FromSeconds(0.6));
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void AStepForwardPastTheAlarm_Fires_OnTheNextPoll()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 5000 * Second, enabled: true));
        _smeared.NowNs = 6000 * Second; // a step, no time passes on the poll timer yet
        Assert.Empty(DrainNotifications());
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void AStepForwardPastTheAlarm_IsSeen_WhenARequestArrives()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 5000 * Second, enabled: true));
        _smeared.NowNs = 5000 * Second;
        Assert.True(_driver.Read(0).IsOk);
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void SetWhileDisabled_DoesNotFire_UntilEnabled()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 10 * Second, enabled: false));
        Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(DrainNotifications());
        Assert.Null(_driver.SetAlarmEnabled(AlarmClock, true));
        Assert.Equal([AlarmClock], DrainNotifications());
        Assert.Equal(new VirtioRtcAlarm(10 * Second, true), _driver.ReadAlarm(AlarmClock).Value);
    }

    [Fact]
    public void ExpiredAlarm_ReNotifies_OncePerInterval_UntilDisabled()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        Assert.Equal([AlarmClock], DrainNotifications());

        Advance(TimeSpan.FromMilliseconds(500));
        Assert.Empty(DrainNotifications());          // not a storm
        Advance(TimeSpan.FromMilliseconds(510));
        Assert.Equal([AlarmClock], DrainNotifications()); // still expired: reminded
        Advance(TimeSpan.FromSeconds(1.01));
        Assert.Equal([AlarmClock], DrainNotifications());

        Assert.Null(_driver.SetAlarmEnabled(AlarmClock, false));
        Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(DrainNotifications());
        Assert.Equal(new VirtioRtcAlarm(1 * Second, false), _driver.ReadAlarm(AlarmClock).Value);
    }

    [Fact]
    public void UndeliveredNotification_IsNotDuplicated_WhileItWaitsForABuffer()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void DisablingAnAlarmWithAQueuedNotification_WithdrawsIt()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        Assert.True(_device.HasPendingNotifications);
        Assert.Null(_driver.SetAlarmEnabled(AlarmClock, false));
        Assert.False(_device.HasPendingNotifications);
        Assert.Empty(DrainNotifications());
    }

    [Fact]
    public void MovingTheAlarmIntoTheFuture_WithdrawsTheQueuedNotification()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        Assert.Null(_driver.SetAlarm(AlarmClock, 2000 * Second, enabled: true));
        Assert.Empty(DrainNotifications());
    }

    [Fact]
    public void AlarmqBufferShorterThan16_IsConsumedEmpty_AndTheNotificationWaits()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        var small = new byte[15];
        Array.Fill(small, (byte)0xAA);
        Assert.True(_device.TryWriteNotification(1, small, out int written));
        Assert.Equal(0, written);
        Assert.All(small, b => Assert.Equal(0xAA, b));
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void NotificationsGoOnlyToTheAlarmQueue()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        Assert.False(_device.TryWriteNotification(0, new byte[16], out int written));
        Assert.Equal(0, written);
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void Reset_KeepsTheAlarm_DropsUndeliveredNotifications_AndReNotifiesAPastAlarm()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        Assert.True(_device.HasPendingNotifications);
        _device.Reset(); // the old notification goes with the old queues; the past alarm is signalled once anew
        Assert.Equal([AlarmClock], DrainNotifications());

        Assert.Null(_driver.SetAlarm(AlarmClock, 1500 * Second, enabled: true));
        _device.Reset();
        Assert.Equal(new VirtioRtcAlarm(1500 * Second, true), _driver.ReadAlarm(AlarmClock).Value);
        Assert.Empty(DrainNotifications());

        _smeared.NowNs = 1600 * Second;
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal([AlarmClock], DrainNotifications());
        _device.Reset(); // the guest reboots before acting on it: the past alarm is signalled again at once
        Assert.Equal([AlarmClock], DrainNotifications());
    }

    [Fact]
    public void Reset_WithADisabledPastAlarm_SignalsNothing()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: false));
        _device.Reset();
        Assert.Empty(DrainNotifications());
    }

    [Fact]
    public void WithoutNegotiatedFAlarm_NoNotificationsAreQueued()
    {
        Assert.Null(_driver.SetAlarm(AlarmClock, 1 * Second, enabled: true));
        _device.SetDriverFeatures(VirtioRtcConstants.FeatureVersion1);
        Assert.Empty(DrainNotifications());
        Advance(TimeSpan.FromSeconds(3));
        Assert.Empty(DrainNotifications());
    }

    [Fact]
    public async Task ConcurrentRequestsPollsAndDeliveries_NeverThrow()
    {
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions
        {
            Clocks = [new DeviceClock(_utc, AlarmCapable: true), new DeviceClock(_smeared, AlarmCapable: true)],
            AlarmRenotifyInterval = TimeSpan.Zero,
        }, _time);
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));
        int failures = 0, delivered = 0;
        var workers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 3000; i++)
            {
                ushort id = (ushort)((i + w) % 2);
                if (driver.SetAlarm(id, (ulong)(i % 3) * 600 * Second, enabled: i % 5 != 0) is not null) Interlocked.Increment(ref failures);
                if (!driver.ReadAlarm(id).IsOk) Interlocked.Increment(ref failures);
                if (!driver.Read(id).IsOk) Interlocked.Increment(ref failures);
            }
        })).ToList();
        var requestsDone = Task.WhenAll(workers);
        // The poller runs for as long as the requests do (a fixed count could end before a loaded machine starts them).
        var poller = Task.Run(() =>
        {
            var buffer = new byte[16];
            for (int i = 0; i < 5000 || !requestsDone.IsCompleted; i++)
            {
                device.PollAlarms();
                if (device.TryWriteNotification(1, buffer, out int written) && written == 16) Interlocked.Increment(ref delivered);
            }
        });
        await Task.WhenAll(requestsDone, poller);
        Assert.Equal(0, failures);
        Assert.True(delivered > 0);
    }
}
