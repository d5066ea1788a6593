"""Disks, load balancers, addresses, file systems and security groups as their APIs answer them, rendered once at
load (as the instances are)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .world_resources import ATTACHED_STATES, Address, Disk, FileSystem, LoadBalancer, MountTarget, SecurityGroup


def plain_time(t: datetime | None) -> str | None:
    """CBS and CLB style: 2026-01-02 03:04:05."""
    return None if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


def zone_id(zone: str) -> int:
    """A numeric zone id as CLB shows it (the emulator's own numbering: 100000 + the zone's number)."""
    tail = zone.rsplit("-", 1)[-1]
    return 100000 + int(tail) if tail.isdigit() else 100000


def disk_api(d: Disk) -> dict[str, Any]:
    """The DescribeDisks item, shaped like cbs.v20170312.models.Disk."""
    prepaid = d.DiskChargeType == "PREPAID"
    return {
        "DiskId": d.DiskId,
        "DiskName": d.DiskName,
        "DiskType": d.DiskType,
        "DiskSize": d.DiskSize,
        "DiskUsage": d.DiskUsage,
        "DiskState": d.DiskState,
        "Attached": d.DiskState in ATTACHED_STATES,
        "InstanceId": d.InstanceId or "",
        "InstanceIdList": [d.InstanceId] if d.InstanceId else [],
        "InstanceType": "CVM",
        "DiskChargeType": d.DiskChargeType,
        "DeadlineTime": plain_time(d.DeadlineTime) if prepaid else None,
        "CreateTime": plain_time(d.CreateTime),
        "Placement": {"Zone": d.Placement.Zone, "ProjectId": d.Placement.ProjectId, "CageId": None},
        "Portable": d.Portable,
        "DeleteWithInstance": d.DeleteWithInstance,
        "Tags": [{"Key": t.Key, "Value": t.Value} for t in d.Tags],
        "RenewFlag": "NOTIFY_AND_MANUAL_RENEW" if prepaid else "",
        "IsReturnable": True,
        "ReturnFailCode": 0,
        "Encrypt": False,
        "Shareable": False,
        "BackupDisk": False,
        "Rollbacking": False,
        "Migrating": False,
        "SnapshotAbility": True,
        "SnapshotCount": 0,
        "SnapshotSize": 0,
        "AttachMode": "PF",
        "AutoRenewFlagError": False,
        "DeadlineError": False,
    }


def lb_api(lb: LoadBalancer, region: str) -> dict[str, Any]:
    """The DescribeLoadBalancers item, shaped like clb.v20180317.models.LoadBalancer (tags as TagKey/TagValue)."""
    zone = lb.MasterZone
    return {
        "LoadBalancerId": lb.LoadBalancerId,
        "LoadBalancerName": lb.LoadBalancerName,
        "LoadBalancerType": lb.LoadBalancerType,
        "Forward": lb.Forward,
        "Domain": "",
        "LoadBalancerVips": list(lb.LoadBalancerVips),
        "Status": lb.Status,
        "CreateTime": plain_time(lb.CreateTime),
        "StatusTime": plain_time(lb.CreateTime),
        "ProjectId": lb.ProjectId,
        "VpcId": lb.VpcId,
        "SubnetId": lb.SubnetId,
        "OpenBgp": 0,
        "Snat": False,
        "Isolation": 0,
        "Tags": [{"TagKey": t.Key, "TagValue": t.Value} for t in lb.Tags],
        "SecureGroups": [],
        "AddressIPVersion": "ipv4",
        "VipIsp": lb.VipIsp,
        "MasterZone": {"ZoneId": zone_id(zone), "Zone": zone, "ZoneName": zone, "ZoneRegion": region} if zone else None,
        "ChargeType": lb.ChargeType,
        "NetworkAttributes": {
            "InternetChargeType": lb.NetworkAttributes.InternetChargeType,
            "InternetMaxBandwidthOut": lb.NetworkAttributes.InternetMaxBandwidthOut,
        },
        "AttributeFlags": list(lb.AttributeFlags),
        "TargetCount": lb.TargetCount,
        "IsolatedTime": None,
        "ExpireTime": None,
        "SlaType": "shared",
    }


def address_api(a: Address) -> dict[str, Any]:
    """The DescribeAddresses item, shaped like vpc.v20170312.models.Address (tags as TagSet Key/Value)."""
    return {
        "AddressId": a.AddressId,
        "AddressName": a.AddressName,
        "AddressStatus": a.AddressStatus,
        "AddressIp": a.AddressIp,
        "InstanceId": a.InstanceId,
        "CreatedTime": a.CreatedTime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "NetworkInterfaceId": a.NetworkInterfaceId,
        "PrivateAddressIp": a.PrivateAddressIp,
        "IsArrears": a.IsArrears,
        "IsBlocked": False,
        "IsEipDirectConnection": False,
        "AddressType": a.AddressType,
        "CascadeRelease": False,
        "InternetServiceProvider": "BGP",
        "LocalBgp": False,
        "Bandwidth": a.Bandwidth,
        "InternetChargeType": a.InternetChargeType,
        "TagSet": [{"Key": t.Key, "Value": t.Value} for t in a.TagSet],
        "DeadlineDate": None,
        "InstanceType": a.InstanceType,
        "Egress": "center_egress1",
    }


def file_system_api(fs: FileSystem, uin: str) -> dict[str, Any]:
    """The DescribeCfsFileSystems item, shaped like cfs.v20190719.models.FileSystemInfo (tags as TagKey/TagValue)."""
    return {
        "CreationTime": plain_time(fs.CreationTime),
        "CreationToken": fs.FsName,
        "FileSystemId": fs.FileSystemId,
        "LifeCycleState": fs.LifeCycleState,
        "SizeByte": fs.SizeByte,
        "SizeLimit": fs.SizeLimit,
        "ZoneId": zone_id(fs.Zone),
        "Zone": fs.Zone,
        "Protocol": fs.Protocol,
        "StorageType": fs.StorageType,
        "StorageResourcePkg": "",
        "BandwidthResourcePkg": "",
        "PGroup": {"PGroupId": fs.PGroup.PGroupId, "Name": fs.PGroup.Name},
        "FsName": fs.FsName,
        "Encrypted": fs.Encrypted,
        "KmsKeyId": "",
        "AppId": int(uin[-10:]),
        "BandwidthLimit": 100.0,
        "AutoSnapshotPolicyId": "",
        "SnapStatus": "normal",
        "Capacity": fs.SizeLimit,
        "Tags": [{"TagKey": t.Key, "TagValue": t.Value} for t in fs.Tags],
        "TieringState": "NotAvailable",
        "TieringDetail": None,
        "AutoScaleUpRule": None,
        "Version": "v1.5",
        "MetaType": "basic",
    }


SERVER_LIST_MAX = 200  # MountInfo.ServerListTruncated: "是否占用超过200个ip"


def mount_target_api(fs_id: str, mt: MountTarget) -> dict[str, Any]:
    """The DescribeMountTargets item, shaped like cfs.v20190719.models.MountInfo."""
    return {
        "FileSystemId": fs_id,
        "MountTargetId": mt.MountTargetId,
        "IpAddress": mt.IpAddress,
        "FSID": fs_id[4:],
        "LifeCycleState": mt.LifeCycleState,
        "NetworkInterface": mt.NetworkInterface,
        "VpcId": mt.VpcId,
        "VpcName": mt.VpcId,
        "SubnetId": mt.SubnetId,
        "SubnetName": mt.SubnetId,
        "CcnID": "",
        "CidrBlock": "",
        "ServerList": mt.ServerList[:SERVER_LIST_MAX],
        "ServerListTruncated": len(mt.ServerList) > SERVER_LIST_MAX,
    }


def security_group_api(g: SecurityGroup) -> dict[str, Any]:
    """The DescribeSecurityGroups item, shaped like vpc.v20170312.models.SecurityGroup (ProjectId a string there)."""
    return {
        "SecurityGroupId": g.SecurityGroupId,
        "SecurityGroupName": g.SecurityGroupName,
        "SecurityGroupDesc": g.SecurityGroupDesc,
        "ProjectId": str(g.ProjectId),
        "IsDefault": g.IsDefault,
        "CreatedTime": plain_time(g.CreatedTime),
        "TagSet": [{"Key": t.Key, "Value": t.Value} for t in g.TagSet],
        "UpdateTime": plain_time(g.UpdateTime or g.CreatedTime),
    }
