//! The token each page of a listing carries to the next one, so that
//! [`super::exec::Ctx::pages`] can tell a listing that ended from one the
//! SDK's paginator cut short.
//!
//! The SDK's paginators end a listing, without an error, when an answer
//! carries the token the request sent (`stop_on_duplicate_token`): a
//! service (or a proxy) that repeats a token would otherwise end the read
//! with the pages so far taken as the whole. Comparing each page's token
//! with the previous page's makes that a coverage gap instead.

/// A page of a listing: the token it gives for the next page, if any.
pub(crate) trait Paged {
    fn page_token(&self) -> Option<&str>;
}

macro_rules! paged {
    ($getter:ident: $($ty:path),+ $(,)?) => {
        $(impl Paged for $ty {
            fn page_token(&self) -> Option<&str> {
                self.$getter()
            }
        })+
    };
}

paged!(next_token:
    aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput,
    aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput,
    aws_sdk_ec2::operation::describe_launch_templates::DescribeLaunchTemplatesOutput,
    aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput,
    aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput,
    aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput,
    aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput,
    aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput,
);

paged!(marker:
    aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput,
    aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput,
    aws_sdk_iam::operation::list_instance_profiles::ListInstanceProfilesOutput,
    aws_sdk_iam::operation::list_policies::ListPoliciesOutput,
    aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput,
    aws_sdk_iam::operation::list_roles::ListRolesOutput,
    aws_sdk_rds::operation::describe_db_cluster_parameter_groups::DescribeDbClusterParameterGroupsOutput,
    aws_sdk_rds::operation::describe_db_cluster_parameters::DescribeDbClusterParametersOutput,
    aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput,
    aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput,
    aws_sdk_rds::operation::describe_db_parameter_groups::DescribeDbParameterGroupsOutput,
    aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput,
    aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDbSubnetGroupsOutput,
);
